// Appending producer commands and, when asked, waiting for their outcomes:
// the one path that POST /v1/commands (handlers_commands.cc) and `tally
// produce --data` (in process, with no JSON in between) both take.
// Thread-safe as the Backend is.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "engine/http/backend.h"

namespace tally::http {

struct AppendWaitResult {
  using RecordKey = std::pair<uint32_t, uint64_t>;  // partition, offset

  std::vector<Placement> placements;  // one per command, in input order
  // With wait only: who answers for each partition (asked once), and the
  // outcomes of the records applied in time. Records in partitions owned
  // elsewhere (a consumer group's other members) are not waited for.
  std::vector<PartitionOwner> owners;
  std::map<RecordKey, OffsetOutcomes> outcomes;
  // ok; timeout when some records were not applied by the deadline; or the
  // error that stopped a partition's pipeline.
  Status waited;

  // The outcome of the command at `placement`, when it is known.
  std::optional<Outcome> outcome(const Placement& placement) const;
};

// One backend.append of `commands` by `deadline` (admission and the log),
// then with `wait` the wait for every record they went into, until the same
// deadline. Errors are the append's: overloaded when nothing was appended
// (the node stayed full), any other with the context that some commands may
// have been appended.
Result<AppendWaitResult> append_and_wait(Backend& backend, std::span<const Command> commands, bool wait,
                                         std::chrono::steady_clock::time_point deadline);

}  // namespace tally::http
