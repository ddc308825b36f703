#include "tests/support/http_client.h"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

namespace tally::test {
namespace {

constexpr std::chrono::milliseconds kTimeout{30'000};

HttpResult result_of(Result<http::ClientReply> r) {
  if (!r.ok()) throw std::runtime_error(r.status().message());
  HttpResult out{r->status, r->header("Content-Type"), r->header("Allow"), r->keep_alive, std::move(r->body),
                 std::move(r->headers)};
  return out;
}

}  // namespace

HttpClient::HttpClient(uint16_t port) {
  auto c = http::Client::make("127.0.0.1:" + std::to_string(port),
                              {.host = "127.0.0.1", .max_reply_bytes = 64u << 20, .reconnect = false});
  if (!c.ok()) throw std::runtime_error(c.status().message());
  client_ = std::move(*c);
  if (Status s = client_->connect(kTimeout); !s.ok()) throw std::runtime_error(s.message());
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body, bool keep_alive) {
  return result_of(client_->request(method, target, body, kTimeout, headers_, keep_alive));
}

void HttpClient::set_header(const std::string& name, const std::string& value) {
  std::erase_if(headers_, [&](const auto& kv) { return boost::beast::iequals(kv.first, name); });
  if (!value.empty()) headers_.emplace_back(name, value);
}

HttpResult HttpClient::raw(const std::string& bytes) { return result_of(client_->raw(bytes, kTimeout)); }

bool HttpClient::closed_by_server() { return client_->closed_by_server(kTimeout); }

std::string HttpResult::header(const std::string& name) const { return http::find_header(headers, name); }

boost::json::value HttpResult::json() const { return boost::json::parse(body); }

std::string HttpResult::error() const {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.at("error").as_string());
}

}  // namespace tally::test
