#include "engine/http/backend.h"

#include "projections/records.h"

namespace tally::http {

Result<std::optional<QuarantinedRecord>> find_quarantined(const PartitionStore& store, Offset o) {
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> v, store.get(keys::quarantine(o)));
  if (!v) return std::optional<QuarantinedRecord>();
  TALLY_ASSIGN_OR_RETURN(QuarantinedRecord q, decode_quarantine(*v));
  return std::optional<QuarantinedRecord>(std::move(q));
}

PartitionOwner Backend::owner(Partition) { return PartitionOwner{}; }

Result<std::vector<StuckOperation>> Backend::stuck(size_t) {
  return Status::FailedPrecondition(
      "stuck operations are tracked by a running node (its scheduler and relay retry in memory); "
      "ask tally serve with --http");
}

}  // namespace tally::http
