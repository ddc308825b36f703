// The API's route handlers (internal to engine/http; the router calls them).
// Each checks its own query parameters and answers with JSON; errors become
// {"error": ...} with the status of response.h. Called from many threads.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/http/backend.h"
#include "engine/http/response.h"

namespace tally::http {

struct RouteArgs {
  std::vector<std::string> captures;  // the {id}-like path segments, in order
  std::vector<std::pair<std::string, std::string>> query;
  const std::string& body;
};

using Handler = Response (*)(Backend& backend, const RouteArgs& args);

Response post_commands(Backend& backend, const RouteArgs& args);
Response get_account(Backend& backend, const RouteArgs& args);
Response get_transfer(Backend& backend, const RouteArgs& args);
Response get_history(Backend& backend, const RouteArgs& args);
Response get_balance(Backend& backend, const RouteArgs& args);
Response get_pending(Backend& backend, const RouteArgs& args);
Response get_offset(Backend& backend, const RouteArgs& args);
Response get_health(Backend& backend, const RouteArgs& args);
Response get_stuck(Backend& backend, const RouteArgs& args);

}  // namespace tally::http
