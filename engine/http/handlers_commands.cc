// POST /v1/commands: append, and with "wait" also wait for the outcomes.
#include <boost/json.hpp>
#include <map>
#include <set>

#include "engine/http/commands_request.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"

namespace tally::http {
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;
using RecordKey = std::pair<uint32_t, uint64_t>;  // partition, offset

// Who answers for each partition, asked once per request.
std::vector<PartitionOwner> owners_of(Backend& backend) {
  std::vector<PartitionOwner> out;
  for (uint32_t p = 0; p < backend.partition_count(); p++) out.push_back(backend.owner(Partition{p}));
  return out;
}

// Waits (until `deadline`) for every record the placements name and reads
// their outcomes. Records not applied in time stay absent from `out`;
// returns timeout if any, or the error that stopped a partition.
// Records in partitions owned elsewhere are not waited for: their results
// name the owner instead (a member of a consumer group).
Status wait_outcomes(Backend& backend, const std::vector<Placement>& placements,
                     const std::vector<PartitionOwner>& owners, Clock::time_point deadline,
                     std::map<RecordKey, OffsetOutcomes>& out) {
  std::set<RecordKey> records;
  for (const Placement& p : placements) {
    if (owners.at(p.partition.value).kind != PartitionOwner::Kind::self) continue;
    records.insert({p.partition.value, p.offset.value});
  }
  size_t late = 0;
  for (const RecordKey& key : records) {
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    const Partition p{key.first};
    const Offset o{key.second};
    TALLY_ASSIGN_OR_RETURN(bool applied, backend.wait_applied(p, o, left));
    if (!applied) {
      late++;
      continue;
    }
    TALLY_ASSIGN_OR_RETURN(std::optional<OffsetOutcomes> got, backend.outcomes(p, o));
    if (!got) {
      return Status::Internal("the record at partition " + std::to_string(p.value) + " offset " +
                              std::to_string(o.value) + " was quarantined");
    }
    out.emplace(key, std::move(*got));
  }
  if (late == 0) return Status::Ok();
  return Status::Timeout(std::to_string(late) + " of " + std::to_string(records.size()) +
                         " records were not applied in time; ask GET /v1/offsets/{partition}/{offset} later");
}

json::array results_json(const std::vector<Placement>& placements,
                         const std::map<RecordKey, OffsetOutcomes>* outcomes,
                         const std::vector<PartitionOwner>* owners = nullptr) {
  json::array results;
  results.reserve(placements.size());
  for (const Placement& p : placements) {
    json::object r{{"partition", p.partition.value}, {"offset", p.offset.value}, {"index", p.index}};
    const PartitionOwner* owner = owners != nullptr ? &owners->at(p.partition.value) : nullptr;
    if (owner != nullptr && owner->kind == PartitionOwner::Kind::other) {
      r["owner"] = owner->address;
    } else if (owner != nullptr && owner->kind == PartitionOwner::Kind::unknown) {
      r["owner"] = nullptr;
    } else if (outcomes != nullptr) {
      auto it = outcomes->find({p.partition.value, p.offset.value});
      if (it != outcomes->end() && p.index < it->second.outcomes.size()) {
        r["outcome"] = outcome_name(it->second.outcomes[p.index]);
      }
    }
    results.emplace_back(std::move(r));
  }
  return results;
}

}  // namespace

Response post_commands(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<CommandsRequest> req = parse_commands_request(args.body);
  if (!req.ok()) return error_response(req.status());
  const Clock::time_point deadline = Clock::now() + req->timeout;
  Result<std::vector<Placement>> placed = backend.append(req->commands, deadline);
  if (!placed.ok() && placed.status().code() == StatusCode::overloaded) {
    // Nothing was appended: the node is full (Node::append's admission).
    Response r = error_response(placed.status());
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (!placed.ok()) {
    Response r = error_response(placed.status().with_context(
        "appending failed (some commands may have been appended; resending is safe, duplicates "
        "are answered exists)"));
    if (r.status == 503) r.headers.emplace_back("Retry-After", std::to_string(backend.append_retry_after().count()));
    return r;
  }
  if (!req->wait) return json_response(200, json::object{{"results", results_json(*placed, nullptr)}});
  std::map<RecordKey, OffsetOutcomes> outcomes;
  const std::vector<PartitionOwner> owners = owners_of(backend);
  const Status waited = wait_outcomes(backend, *placed, owners, deadline, outcomes);
  json::object body{{"results", results_json(*placed, &outcomes, &owners)}};
  if (!waited.ok()) {
    body["error"] = "waiting for outcomes: " + waited.message();
    return json_response(http_status_of(waited.code()), body);
  }
  return json_response(200, body);
}

}  // namespace tally::http
