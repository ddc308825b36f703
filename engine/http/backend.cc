#include "engine/http/backend.h"

#include "projections/records.h"

namespace tally::http {

Result<EventPage> Backend::events(Partition, EventCursor, size_t, std::chrono::milliseconds) {
  return Status::FailedPrecondition(
      "the change stream reads the log beside the stores; ask tally serve with --http");
}

namespace {
Status no_webhooks() {
  return Status::FailedPrecondition(
      "webhooks are delivered by tally serve owning every partition (not over read-only stores, not with --group)");
}
}  // namespace

Result<WebhookEndpoint> Backend::add_webhook(const WebhookRequest&) { return no_webhooks(); }
Status Backend::remove_webhook(const std::string&) { return no_webhooks(); }
Result<std::vector<WebhookEndpoint>> Backend::webhooks() { return no_webhooks(); }

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
