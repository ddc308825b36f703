#include "engine/core/status.h"

namespace tally {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::invalid_argument: return "invalid argument";
    case StatusCode::not_found: return "not found";
    case StatusCode::corruption: return "corruption";
    case StatusCode::io_error: return "I/O error";
    case StatusCode::unavailable: return "unavailable";
    case StatusCode::timeout: return "timeout";
    case StatusCode::resource_exhausted: return "resource exhausted";
    case StatusCode::aborted: return "aborted";
    case StatusCode::failed_precondition: return "failed precondition";
    case StatusCode::internal: return "internal error";
    case StatusCode::overloaded: return "overloaded";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (ok()) return "ok";
  return std::string(status_code_name(code_)) + ": " + message_;
}

}  // namespace tally
