#include "tests/support/http_client.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <stdexcept>

namespace tally::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  HttpResult read() {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64u << 20);
    beast::error_code ec;
    bhttp::read(socket, buffer, parser, ec);
    if (ec) throw std::runtime_error("reading the HTTP answer: " + ec.message());
    const auto& res = parser.get();
    HttpResult r{res.result_int(), std::string(res[bhttp::field::content_type]),
                 std::string(res[bhttp::field::allow]), res.keep_alive(), res.body(), {}};
    for (const auto& f : res) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return r;
  }

  std::vector<std::pair<std::string, std::string>> headers;
};

HttpClient::HttpClient(uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  timeval tv{30, 0};
  setsockopt(impl_->socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(impl_->socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body, bool keep_alive) {
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  if (req.method() == bhttp::verb::unknown) req.method_string(method);
  req.set(bhttp::field::host, "127.0.0.1");
  if (method == "POST") req.set(bhttp::field::content_type, "application/json");
  for (const auto& [name, value] : impl_->headers) req.set(name, value);
  req.body() = body;
  req.keep_alive(keep_alive);
  req.prepare_payload();
  beast::error_code ec;
  bhttp::write(impl_->socket, req, ec);
  // A server that answers early (413) may stop reading; its answer still counts.
  if (ec && ec != asio::error::broken_pipe && ec != asio::error::connection_reset) {
    throw std::runtime_error("writing the HTTP request: " + ec.message());
  }
  return impl_->read();
}

void HttpClient::set_header(const std::string& name, const std::string& value) {
  auto& h = impl_->headers;
  std::erase_if(h, [&](const auto& kv) { return beast::iequals(kv.first, name); });
  if (!value.empty()) h.emplace_back(name, value);
}

HttpResult HttpClient::raw(const std::string& bytes) {
  asio::write(impl_->socket, asio::buffer(bytes));
  return impl_->read();
}

bool HttpClient::closed_by_server() {
  char c;
  beast::error_code ec;
  impl_->socket.read_some(asio::buffer(&c, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

std::string HttpResult::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return "";
}

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

std::string HttpResult::error() const {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").as_string());
}

}  // namespace tally::test
