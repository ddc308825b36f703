// Test support: the engine's HTTP client (engine/http/client.h) as a
// fixture for speaking to a `tally serve` under test. It sends exactly what
// a test asks for (any method, target, body, Connection header) on one
// connection, which it never replaces, and returns the raw answer, so tests
// can check status codes, headers, error bodies and what the server did to
// the connection. Connects at construction; every step times out after
// 30 s so a broken server fails the test instead of hanging it; a failure
// throws std::runtime_error.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/http/client.h"

namespace tally::test {

struct HttpResult {
  unsigned status = 0;
  std::string content_type;
  std::string allow;
  bool keep_alive = false;
  std::string body;
  // The body as JSON; throws if it is not JSON.
  boost::json::value json() const;
  // The "error" message of an error body, or "" if there is none.
  std::string error() const;
  // Any header of the answer ("" when absent).
  std::string header(const std::string& name) const;
  std::vector<std::pair<std::string, std::string>> headers;
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult request(const std::string& method, const std::string& target, const std::string& body = "",
                     bool keep_alive = true);
  HttpResult get(const std::string& target) { return request("GET", target); }
  HttpResult post(const std::string& target, const std::string& body) {
    return request("POST", target, body);
  }
  // A header sent with every later request (an empty value stops sending
  // it): "Authorization", "Origin", or "Content-Type" to override the
  // application/json every POST gets.
  void set_header(const std::string& name, const std::string& value);
  // Writes raw bytes and reads one answer (for malformed requests).
  HttpResult raw(const std::string& bytes);
  // Whether the server has closed the connection (a read sees EOF).
  bool closed_by_server();

 private:
  std::unique_ptr<http::Client> client_;
  std::vector<http::Header> headers_;  // set_header's
};

}  // namespace tally::test
