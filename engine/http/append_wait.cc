#include "engine/http/append_wait.h"

#include <set>
#include <string>

namespace tally::http {
namespace {

using Clock = std::chrono::steady_clock;
using RecordKey = AppendWaitResult::RecordKey;

// Who answers for each partition, asked once per request.
std::vector<PartitionOwner> owners_of(Backend& backend) {
  std::vector<PartitionOwner> out;
  for (uint32_t p = 0; p < backend.partition_count(); p++) out.push_back(backend.owner(Partition{p}));
  return out;
}

// Waits (until `deadline`) for every record of an owned partition that the
// placements name and reads their outcomes. Records not applied in time
// stay absent from `out`; returns timeout if any, or the error that stopped
// a partition.
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

}  // namespace

std::optional<Outcome> AppendWaitResult::outcome(const Placement& placement) const {
  auto it = outcomes.find({placement.partition.value, placement.offset.value});
  if (it == outcomes.end() || placement.index >= it->second.outcomes.size()) return std::nullopt;
  return it->second.outcomes[placement.index];
}

Result<AppendWaitResult> append_and_wait(Backend& backend, std::span<const Command> commands, bool wait,
                                         Clock::time_point deadline) {
  Result<std::vector<Placement>> placed = backend.append(commands, deadline);
  if (!placed.ok() && placed.status().code() == StatusCode::overloaded) return placed.status();
  if (!placed.ok()) {
    return placed.status().with_context(
        "appending failed (some commands may have been appended; resending is safe, duplicates "
        "are answered exists)");
  }
  AppendWaitResult r;
  r.placements = std::move(*placed);
  if (!wait) return r;
  r.owners = owners_of(backend);
  r.waited = wait_outcomes(backend, r.placements, r.owners, deadline, r.outcomes);
  return r;
}

}  // namespace tally::http
