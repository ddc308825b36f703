#include "engine/http/response.h"

#include <boost/json.hpp>

#include "engine/json/text.h"

namespace tally::http {

unsigned http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return 200;
    case StatusCode::invalid_argument: return 400;
    case StatusCode::not_found: return 404;
    case StatusCode::failed_precondition: return 409;
    case StatusCode::unavailable:
    case StatusCode::resource_exhausted:
    case StatusCode::aborted: return 503;
    case StatusCode::timeout: return 504;
    case StatusCode::overloaded: return 429;
    case StatusCode::corruption:
    case StatusCode::io_error:
    case StatusCode::internal: return 500;
  }
  return 500;
}

Response json_response(unsigned status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.body = json_text::serialize(body);
  return r;
}

Response error_response(unsigned status, const std::string& message) {
  // A message may quote the client's raw bytes (a percent-decoded path).
  return json_response(status, boost::json::object{{"error", json_text::valid_utf8(message)}});
}

Response error_response(const Status& s) {
  assert(!s.ok());
  return error_response(http_status_of(s.code()), s.message());
}

}  // namespace tally::http
