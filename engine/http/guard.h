// Guard: the checks a request passes before the router sees it, so that a
// web page in a browser on the same machine cannot use the API (CSRF, DNS
// rebinding) and, with API keys, only callers holding a key with the right
// scope can (docs/operations.md "Securing Tally"). In order:
//
//   Host     must name the bound address (an IP literal; with a loopback
//            bind also "localhost"; with a wildcard bind any IP literal) or
//            a name in `allow_hosts` ("name" any port, "name:port"): 400.
//            HTTP/1.1 requests without Host: 400.
//   Origin   when present, must be in `allow_origins`: 403. Browsers send it
//            with every cross-site POST; API clients do not.
//   CORS     only for allowed origins: a preflight (OPTIONS with Origin and
//            Access-Control-Request-Method) answers 204; other answers gain
//            Access-Control-Allow-Origin. Without allow_origins: no CORS.
//   Keys     with a key ring: "Authorization: Bearer KEY" with the scope the
//            route needs (key_ring.h): 401 without a valid key, 403
//            without the scope.
//   Content-Type  a POST must say application/json: 415. (A text/plain
//            POST needs no CORS preflight; a JSON one does.)
//
// Thread safety: check() and decorate() may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/http/address.h"
#include "engine/http/key_ring.h"
#include "engine/http/response.h"

namespace tally::http {

// The headers the guard reads, as sent ("" when absent).
struct RequestHeaders {
  unsigned version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string host;
  std::string origin;
  std::string content_type;
  std::string authorization;
  std::string cors_request_method;  // Access-Control-Request-Method
};

struct GuardOptions {
  std::vector<std::string> allow_hosts;    // "tally.example.com" or "tally.example.com:443"
  std::vector<std::string> allow_origins;  // "https://app.example.com", exact
  std::shared_ptr<KeyRing> keys;           // null: no authentication
  bool open_health = false;                // /health and /metrics need no key
};

class Guard {
 public:
  // `bound`: the address the server listens on.
  Guard(GuardOptions options, HostPort bound);

  // nullopt: the request may go to the router; else the answer instead.
  std::optional<Response> check(const Request& request, const RequestHeaders& headers) const;
  // CORS headers for an allowed Origin.
  void decorate(const RequestHeaders& headers, Response& response) const;

  bool authenticating() const { return options_.keys != nullptr; }

 private:
  std::optional<Response> check_host(const RequestHeaders& h) const;
  std::optional<Response> check_origin(const Request& r, const RequestHeaders& h) const;
  std::optional<Response> check_key(const Request& r, const RequestHeaders& h) const;
  bool origin_allowed(const std::string& origin) const;

  const GuardOptions options_;
  const HostPort bound_;
};

// The media type of a Content-Type value, lower case, without parameters:
// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(std::string_view content_type);

}  // namespace tally::http
