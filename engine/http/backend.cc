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

Result<RebuildReport> Backend::rebuild(Partition) {
  return Status::FailedPrecondition("a rebuild is switched in by a running node; ask tally serve");
}

Result<CheckpointReport> Backend::checkpoint(const std::string&) {
  return Status::FailedPrecondition("checkpoints are taken by a running node; ask tally serve");
}

Result<std::optional<SagaStatus>> Backend::saga(TransferId) {
  return Status::FailedPrecondition("this backend keeps no sagas");
}

Result<ListPage<Account>> Backend::list_accounts(Partition, const ListFilter&, size_t,
                                                 std::optional<Timestamp>) {
  return Status::FailedPrecondition("this backend keeps no stores to list");
}

Result<ListPage<Transfer>> Backend::list_transfers(Partition, const TransferFilter&, size_t,
                                                   std::optional<Timestamp>) {
  return Status::FailedPrecondition("this backend keeps no stores to list");
}

Result<std::vector<Account>> Backend::transit(Partition) {
  return Status::FailedPrecondition("this backend keeps no transit accounts");
}

}  // namespace tally::http
