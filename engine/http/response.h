// Requests and responses as the router sees them, independent of the
// transport (Beast in server.h; direct calls in `tally query --data`), and
// the mapping from a Status to an HTTP status code (docs/http-api.md "Errors").
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/status.h"

namespace tally::http {

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // origin form: "/v1/accounts/7?x=y"
  std::string body;
  // The headers a route reads (the change stream's content negotiation and
  // resume point); empty when absent.
  std::string accept;
  std::string last_event_id;
};

inline constexpr char kJsonContentType[] = "application/json";
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

struct Response {
  unsigned status = 200;
  std::string content_type = kJsonContentType;
  std::string body;
  std::string allow;  // the Allow header of a 405, else empty
  std::vector<std::pair<std::string, std::string>> headers;  // more headers (CORS, WWW-Authenticate)
};

// 400 invalid_argument, 404 not_found, 409 failed_precondition, 503
// unavailable / resource_exhausted / aborted, 429 overloaded, 504 timeout,
// 500 the rest.
unsigned http_status_of(StatusCode code);

Response json_response(unsigned status, const boost::json::value& body);
// {"error": message}
Response error_response(unsigned status, const std::string& message);
// error_response(http_status_of(s.code()), s.message()). REQUIRES: !s.ok().
Response error_response(const Status& s);

}  // namespace tally::http
