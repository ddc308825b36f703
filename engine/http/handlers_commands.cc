// POST /v1/commands: append, and with "wait" also wait for the outcomes.
#include <boost/json.hpp>

#include "engine/http/append_wait.h"
#include "engine/http/commands_request.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"

namespace tally::http {
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

// The body's "results": each command's placement and, with wait, its
// outcome, or the owner of its partition when another member answers it.
json::array results_json(const AppendWaitResult& r, bool wait) {
  json::array results;
  results.reserve(r.placements.size());
  for (const Placement& p : r.placements) {
    json::object o{{"partition", p.partition.value}, {"offset", p.offset.value}, {"index", p.index}};
    const PartitionOwner* owner = wait ? &r.owners.at(p.partition.value) : nullptr;
    if (owner != nullptr && owner->kind == PartitionOwner::Kind::other) {
      o["owner"] = owner->address;
    } else if (owner != nullptr && owner->kind == PartitionOwner::Kind::unknown) {
      o["owner"] = nullptr;
    } else if (std::optional<Outcome> outcome = r.outcome(p)) {
      o["outcome"] = outcome_name(*outcome);
    }
    results.emplace_back(std::move(o));
  }
  return results;
}

}  // namespace

Response post_commands(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<CommandsRequest> req = parse_commands_request(args.body);
  if (!req.ok()) return error_response(req.status());
  const Clock::time_point deadline = Clock::now() + req->timeout;
  Result<AppendWaitResult> placed = append_and_wait(backend, req->commands, req->wait, deadline);
  if (!placed.ok()) {
    Response r = error_response(placed.status());
    if (placed.status().code() == StatusCode::overloaded) {
      r.headers.emplace_back("Retry-After", "1");  // nothing was appended: the node is full
    } else if (r.status == 503) {
      r.headers.emplace_back("Retry-After", std::to_string(backend.append_retry_after().count()));
    }
    return r;
  }
  json::object body{{"results", results_json(*placed, req->wait)}};
  if (!placed->waited.ok()) {
    body["error"] = "waiting for outcomes: " + placed->waited.message();
    return json_response(http_status_of(placed->waited.code()), body);
  }
  return json_response(200, body);
}

}  // namespace tally::http
