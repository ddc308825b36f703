// Router: the HTTP/JSON API of docs/http-api.md as a function from request
// to response, independent of the transport. The server (server.h) feeds it
// requests read from sockets; `tally query --data` calls it directly over
// read-only stores. It also keeps the API's request metrics.
//
// Thread safety: handle() may be called from any number of threads at once.
// REQUIRES: `backend` outlives the router.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "engine/http/backend.h"
#include "engine/http/request_metrics.h"
#include "engine/http/response.h"

namespace tally::http {

class Router {
 public:
  explicit Router(Backend& backend);

  // Unknown route: 404; known route, other method: 405 with Allow; body
  // over kMaxBodyBytes: 413; otherwise the route's handler. Never throws.
  Response handle(const Request& request);

  // Counts a request the transport answered itself (413, 431, malformed
  // HTTP) without routing it, under route "unmatched".
  void count_unrouted(unsigned status);

  // The backend's metrics followed by the API's own.
  std::string metrics_text();

  // Every route as (method, pattern), in the router's order: ("GET",
  // "/v1/accounts/{id}"). docs/openapi.yaml must list exactly these
  // (tests/unit/openapi_test.cc).
  static std::vector<std::pair<std::string_view, std::string_view>> routes();

 private:
  Response dispatch(const Request& request, size_t& route);

  Backend& backend_;
  RequestMetrics metrics_;
};

}  // namespace tally::http
