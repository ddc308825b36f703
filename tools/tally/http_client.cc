#include "tools/tally/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <optional>

#include "engine/http/address.h"

namespace tally::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr uint64_t kMaxReplyBytes = 1ull << 30;  // far above any answer the API gives
}  // namespace

struct HttpClient::Impl {
  http::HostPort host;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  // Runs the queued operations; a stream timeout surfaces as their error.
  void run() {
    io.restart();
    io.run();
  }
};

HttpClient::HttpClient(std::string address, std::unique_ptr<Impl> impl)
    : address_(std::move(address)), impl_(std::move(impl)) {}

HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::make(const std::string& address) {
  TALLY_ASSIGN_OR_RETURN(http::HostPort hp, http::parse_host_port(address));
  auto impl = std::make_unique<Impl>();
  impl->host = hp;
  return std::unique_ptr<HttpClient>(new HttpClient(http::format_host_port(hp), std::move(impl)));
}

Status HttpClient::connect(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  boost::system::error_code ec;
  tcp::resolver resolver(i.io);
  const auto endpoints = resolver.resolve(i.host.host, std::to_string(i.host.port), ec);
  if (ec) return Status::Unavailable("cannot resolve " + address_ + ": " + ec.message());
  i.stream.emplace(i.io);
  i.buffer.clear();
  i.stream->expires_after(timeout);
  i.stream->async_connect(endpoints, [&](boost::system::error_code e, const tcp::endpoint&) { ec = e; });
  i.run();
  if (ec) {
    i.stream.reset();
    return Status::Unavailable("cannot connect to tally serve at " + address_ + ": " + ec.message());
  }
  return Status::Ok();
}

Result<HttpReply> HttpClient::exchange(std::string_view method, const std::string& target,
                                       const std::string& body, std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  req.set(bhttp::field::host, address_);
  req.set(bhttp::field::user_agent, "tally");
  if (!body.empty() || method == "POST") req.set(bhttp::field::content_type, "application/json");
  if (const char* key = std::getenv("TALLY_API_KEY"); key != nullptr && *key != '\0') {
    req.set(bhttp::field::authorization, std::string("Bearer ") + key);
  }
  req.body() = body;
  req.keep_alive(true);
  req.prepare_payload();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(kMaxReplyBytes);
  boost::system::error_code ec;
  i.stream->expires_after(timeout);
  bhttp::async_write(*i.stream, req, [&](boost::system::error_code e, size_t) {
    ec = e;
    if (!e) bhttp::async_read(*i.stream, i.buffer, parser, [&](boost::system::error_code r, size_t) { ec = r; });
  });
  i.run();
  if (ec == beast::error::timeout) {
    i.stream.reset();
    return Status::Timeout(address_ + " did not answer " + std::string(method) + " " + target +
                           " within " + std::to_string(timeout.count()) + " ms");
  }
  if (ec) {
    i.stream.reset();
    return Status::Unavailable(std::string(method) + " " + target + " to " + address_ + ": " + ec.message());
  }
  if (!parser.get().keep_alive()) i.stream.reset();
  return HttpReply{parser.get().result_int(), std::move(parser.get().body())};
}

Result<HttpReply> HttpClient::request(std::string_view method, const std::string& target,
                                      const std::string& body, std::chrono::milliseconds timeout) {
  const bool reused = impl_->stream.has_value();
  if (!reused) TALLY_RETURN_IF_ERROR(connect(timeout));
  Result<HttpReply> r = exchange(method, target, body, timeout);
  // A kept-alive connection the server closed meanwhile fails at once: retry
  // on a fresh one. (Requests are idempotent: commands are answered exists.)
  if (!r.ok() && reused && r.status().code() == StatusCode::unavailable) {
    TALLY_RETURN_IF_ERROR(connect(timeout));
    return exchange(method, target, body, timeout);
  }
  return r;
}

}  // namespace tally::cli
