// NodeBackend: the API's backend over a running Node (`tally serve`).
// REQUIRES: the node outlives the backend and is started.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "engine/http/backend.h"

namespace tally::http {

// What a consumer group membership adds to the API (`tally serve --group`,
// docs/operations.md "Several serve processes"). Empty: the node owns
// every partition. Both are called from handler threads.
struct Membership {
  // The advertised address of the member that owns `p`, if known.
  std::function<std::optional<std::string>(Partition)> owner;
  // The membership as a /health component (not critical).
  std::function<ComponentHealth()> health;
};

class NodeBackend final : public Backend {
 public:
  // `checkpoint_root`: where checkpoints may go (checkpoint_dir.h); empty:
  // POST /v1/admin/checkpoint is refused.
  explicit NodeBackend(Node& node, Membership membership = {}, std::string checkpoint_root = {})
      : node_(node), membership_(std::move(membership)), checkpoint_root_(std::move(checkpoint_root)) {}

  // Adds a /health component beside the node's (e.g. serve's background
  // scrub). Call before the server starts.
  void add_health(std::function<ComponentHealth()> component) { extra_health_.push_back(std::move(component)); }
  // Adds Prometheus lines after the node's (e.g. the event publisher's).
  // Call before the server starts.
  void add_metrics(std::function<std::string()> text) { extra_metrics_.push_back(std::move(text)); }
  // The webhook deliveries the admin routes manage (null: none). Call
  // before the server starts.
  void set_webhooks(WebhookService* webhooks) { webhooks_ = webhooks; }
  Result<WebhookEndpoint> add_webhook(const WebhookRequest& request) override;
  Status remove_webhook(const std::string& id) override;
  Result<std::vector<WebhookEndpoint>> webhooks() override;

  uint32_t partition_count() const override { return node_.partition_count(); }
  Result<std::vector<Placement>> append(std::span<const Command> commands,
                                        Log::Deadline deadline) override;
  std::chrono::seconds append_retry_after() override;
  Result<bool> wait_applied(Partition p, Offset o, std::chrono::milliseconds wait) override;
  Result<Offset> known_end(Partition p) override;
  std::optional<Offset> applied(Partition p) override;
  Result<std::optional<Account>> account(AccountId id) override;
  Result<std::optional<Transfer>> transfer(TransferId id) override;
  Result<std::vector<Partition>> transfer_partitions(TransferId id) override;
  Result<HistoryPage> history(const HistoryQuery& query) override;
  Result<Balances> balance_at(AccountId id, Timestamp at) override;
  // Empty for a partition the node does not own (the answer says where it is).
  Result<std::vector<Transfer>> pending(Partition p, size_t limit,
                                        std::optional<TransferId> after) override;
  Result<ListPage<Account>> list_accounts(Partition p, const ListFilter& filter, size_t limit,
                                          std::optional<Timestamp> after) override;
  Result<ListPage<Transfer>> list_transfers(Partition p, const TransferFilter& filter, size_t limit,
                                            std::optional<Timestamp> after) override;
  Result<std::optional<OffsetOutcomes>> outcomes(Partition p, Offset o) override;
  Result<std::optional<QuarantinedRecord>> quarantined(Partition p, Offset o) override;
  Result<EventPage> events(Partition p, EventCursor from, size_t limit, std::chrono::milliseconds wait) override;
  // Sagas and transit accounts of the owned partitions (a saga whose
  // destination is owned elsewhere comes without the destination's decision).
  Result<std::optional<SagaStatus>> saga(TransferId id) override;
  Result<std::vector<Account>> transit(Partition p) override;
  // The node's components, and the membership's.
  HealthReport health() override;
  std::string metrics_text() override;
  Result<std::vector<StuckOperation>> stuck(size_t limit) override { return node_.stuck(limit); }
  // self when the node owns p; else what the membership knows.
  PartitionOwner owner(Partition p) override;
  // Admin actions: each is written to the operator log with its result.
  Result<RebuildReport> rebuild(Partition p) override;
  // `dir` confined under the checkpoint root (checkpoint_dir.h).
  Result<CheckpointReport> checkpoint(const std::string& dir) override;

 private:
  Node& node_;
  const Membership membership_;
  std::vector<std::function<ComponentHealth()>> extra_health_;
  std::vector<std::function<std::string()>> extra_metrics_;
  WebhookService* webhooks_ = nullptr;
  const std::string checkpoint_root_;
};

}  // namespace tally::http
