// GET /v1/offsets/{partition}/{offset} (read your writes by position) and
// GET /health.
#include <boost/json.hpp>

#include "engine/http/handlers.h"
#include "engine/http/api_limits.h"
#include "engine/http/params.h"
#include "engine/json/record_json.h"

namespace tally::http {
namespace json = boost::json;

namespace {

// A path segment that must be a decimal integer in 0..max.
Result<uint64_t> segment_uint(const std::string& text, std::string_view what, uint64_t max) {
  const std::optional<u128> v = parse_u128(text);
  if (!v || *v > max) {
    return Status::InvalidArgument(std::string(what) + " \"" + text + "\" must be an integer in 0.." +
                                   std::to_string(max) + " without leading zeros");
  }
  return static_cast<uint64_t>(*v);
}

// The outcomes (or quarantine) of a record that is applied.
Response applied_record(Backend& backend, Partition p, Offset o) {
  Result<std::optional<OffsetOutcomes>> got = backend.outcomes(p, o);
  if (!got.ok()) return error_response(got.status());
  if (got->has_value()) return json_response(200, offset_outcomes_to_json(p, o, **got));
  Result<std::optional<QuarantinedRecord>> q = backend.quarantined(p, o);
  if (!q.ok()) return error_response(q.status());
  if (q->has_value()) return json_response(200, quarantined_to_json(p, **q));
  return error_response(500, "partition " + std::to_string(p.value) + " offset " +
                                 std::to_string(o.value) + " is applied but has neither outcomes nor a quarantine entry");
}

}  // namespace

Response get_offset(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(args.query, {"wait_ms"});
  if (!q.ok()) return error_response(q.status());
  const uint32_t n = backend.partition_count();
  Result<uint64_t> part = segment_uint(args.captures[0], "partition", n - 1);
  if (!part.ok()) return error_response(part.status());
  Result<uint64_t> off = segment_uint(args.captures[1], "offset", ~uint64_t{0});
  if (!off.ok()) return error_response(off.status());
  Result<std::optional<uint64_t>> wait_ms = q->uint("wait_ms", 0, kMaxWaitTimeout.count());
  if (!wait_ms.ok()) return error_response(wait_ms.status());
  const Partition p{static_cast<uint32_t>(*part)};
  const Offset o{*off};
  const std::string where = "partition " + std::to_string(p.value) + " offset " + std::to_string(o.value);
  Result<Offset> end = backend.known_end(p);
  if (!end.ok()) return error_response(end.status());
  if (o >= *end) {
    return error_response(404, "no record at " + where + ": partition " + std::to_string(p.value) +
                                   " ends at offset " + std::to_string(end->value));
  }
  Result<bool> applied =
      backend.wait_applied(p, o, std::chrono::milliseconds(wait_ms->value_or(0)));
  if (!applied.ok()) return error_response(applied.status());
  if (!*applied) {
    return error_response(504, where + " is not applied yet (waited " +
                                   std::to_string(wait_ms->value_or(0)) + " ms; ?wait_ms= waits longer)");
  }
  return applied_record(backend, p, o);
}

Response get_health(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  const HealthReport h = backend.health();
  json::array components;
  for (const ComponentHealth& c : h.components) {
    components.emplace_back(json::object{
        {"name", c.name}, {"critical", c.critical}, {"ok", c.ok}, {"detail", c.detail}});
  }
  return json_response(h.status == "down" ? 503 : 200,
                       json::object{{"status", h.status}, {"components", std::move(components)}});
}

}  // namespace tally::http
