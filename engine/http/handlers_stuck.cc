// GET /v1/stuck: operations the engine re-drove the bounded number of times
// without success (Node::stuck; docs/recovery.md "Stuck operations").
#include <boost/json.hpp>

#include "engine/http/api_limits.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"

namespace tally::http {
namespace json = boost::json;

namespace {

json::object stuck_to_json(const StuckOperation& op) {
  json::object o{{"kind", op.kind},
                 {"partition", op.partition.value},
                 {"id", u128_to_string(op.id)},
                 {"attempts", op.attempts},
                 {"last_error", op.last_error},
                 {"first_attempt", std::to_string(op.first_attempt.ns)}};
  if (op.stuck_since.ns != 0) o["stuck_since"] = std::to_string(op.stuck_since.ns);
  if (op.seq) o["seq"] = std::to_string(*op.seq);
  if (op.target) o["target"] = op.target->value;
  if (op.deadline) o["deadline"] = std::to_string(op.deadline->ns);
  return o;
}

}  // namespace

Response get_stuck(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(args.query, {"limit"});
  if (!q.ok()) return error_response(q.status());
  Result<std::optional<uint64_t>> limit = q->uint("limit", 1, kMaxPageLimit);
  if (!limit.ok()) return error_response(limit.status());
  Result<std::vector<StuckOperation>> ops = backend.stuck(limit->value_or(kDefaultPageLimit));
  if (!ops.ok()) return error_response(ops.status());
  json::array list;
  for (const StuckOperation& op : *ops) list.push_back(stuck_to_json(op));
  return json_response(200, json::object{{"operations", std::move(list)}});
}

}  // namespace tally::http
