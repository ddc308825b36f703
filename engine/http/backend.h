// Backend: what the API's handlers ask of the engine. A running Node answers
// everything (NodeBackend); the read-only stores of a data directory answer
// the queries only (StoreBackend, for `tally query --data`), so the same
// router serves both and prints the same JSON and the same errors.
//
// Thread safety: implementations are called from many handler threads at once.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "engine/http/webhook_service.h"
#include "engine/node/event_feed.h"
#include "engine/node/node.h"
#include "projections/list_queries.h"
#include "projections/queries.h"
#include "projections/store.h"
#include "recovery/saga_status.h"

namespace tally::http {

// Who answers for a partition: this backend, another member of the
// consumer group (its advertised address), or nobody known yet (a handover
// in progress, or the partition failed to start here).
struct PartitionOwner {
  enum class Kind { self, other, unknown };
  Kind kind = Kind::self;
  std::string address;  // other: "host:port"
  std::string reason;   // unknown: why, for the error message
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual uint32_t partition_count() const = 0;

  // Appends the commands (one Node::append: packed per partition in order),
  // waiting for admission and for the log up to `deadline`: overloaded
  // (nothing appended) when the node stays full, unavailable when the log
  // does not take them in time. Read-only backends: failed_precondition.
  virtual Result<std::vector<Placement>> append(std::span<const Command> commands,
                                                Log::Deadline deadline) = 0;
  // What a 503 for an append puts in Retry-After: the seconds until the
  // log's circuit breaker half-opens while it is open, else 1.
  virtual std::chrono::seconds append_retry_after() { return std::chrono::seconds(1); }
  // Whether the record at (p, o) is applied, waiting up to `wait` for it;
  // an error when the partition's pipeline stopped. REQUIRES: p < partition_count().
  virtual Result<bool> wait_applied(Partition p, Offset o, std::chrono::milliseconds wait) = 0;
  // The end of what this backend knows of partition p: the log's end offset
  // (a node) or the next offset the store will apply (read-only stores).
  virtual Result<Offset> known_end(Partition p) = 0;
  // The next offset partition p will apply, when this backend applies it
  // (a node's owned partitions); what a query answered from p's store is
  // as fresh as. nullopt: not known here.
  virtual std::optional<Offset> applied(Partition) { return std::nullopt; }

  virtual Result<std::optional<Account>> account(AccountId id) = 0;
  virtual Result<std::optional<Transfer>> transfer(TransferId id) = 0;
  // The partitions, in order, holding a transfer `id` that is not a saga's
  // credit leg; transfer() answers the first (Node::transfer_partitions).
  virtual Result<std::vector<Partition>> transfer_partitions(TransferId id) = 0;
  virtual Result<HistoryPage> history(const HistoryQuery& query) = 0;
  virtual Result<Balances> balance_at(AccountId id, Timestamp at) = 0;
  // Still-pending transfers of one partition, in id order after `after`.
  virtual Result<std::vector<Transfer>> pending(Partition p, size_t limit,
                                                std::optional<TransferId> after) = 0;
  // List queries on one partition's store (projections/list_queries.h);
  // an empty page for a partition not served here. By default:
  // failed_precondition (a backend without stores).
  virtual Result<ListPage<Account>> list_accounts(Partition p, const ListFilter& filter, size_t limit,
                                                  std::optional<Timestamp> after);
  virtual Result<ListPage<Transfer>> list_transfers(Partition p, const TransferFilter& filter,
                                                    size_t limit, std::optional<Timestamp> after);
  // The outcomes of an applied record; nullopt if it was quarantined.
  virtual Result<std::optional<OffsetOutcomes>> outcomes(Partition p, Offset o) = 0;
  virtual Result<std::optional<QuarantinedRecord>> quarantined(Partition p, Offset o) = 0;
  // The saga `id` with its destination's decision (recovery/saga_status.h);
  // nullopt when no partition holds a saga of that id. By default:
  // failed_precondition (a backend without stores).
  virtual Result<std::optional<SagaStatus>> saga(TransferId id);
  // The transit accounts stored in partition p, in id order. By default:
  // failed_precondition. REQUIRES: p < partition_count().
  virtual Result<std::vector<Account>> transit(Partition p);

  // The change stream of partition p (engine/node/event_feed.h): up to
  // `limit` events from `from`, waiting up to `wait` for the first when
  // there is none yet. By default: failed_precondition (a backend without
  // the log).
  virtual Result<EventPage> events(Partition p, EventCursor from, size_t limit, std::chrono::milliseconds wait);

  virtual HealthReport health() = 0;
  // Prometheus text of the engine's own metrics.
  virtual std::string metrics_text() = 0;
  // Stuck operations (Node::stuck), at most `limit`. Only a running node
  // tracks them (its scheduler and relay keep their retries in memory);
  // by default: failed_precondition.
  virtual Result<std::vector<StuckOperation>> stuck(size_t limit);
  // Who answers queries on partition p (engine/http/handlers_owner.cc).
  // By default this backend answers for every partition.
  virtual PartitionOwner owner(Partition p);

  // Operator actions (POST /v1/admin/...; Node::rebuild, Node::checkpoint).
  // Only a running node does them; by default failed_precondition. Either
  // may take long: it holds a handler thread meanwhile.
  virtual Result<RebuildReport> rebuild(Partition p);
  virtual Result<CheckpointReport> checkpoint(const std::string& dir);

  // Webhook endpoints (engine/http/webhook_service.h): only a serve that
  // delivers them; by default failed_precondition.
  virtual Result<WebhookEndpoint> add_webhook(const WebhookRequest& request);
  virtual Status remove_webhook(const std::string& id);
  virtual Result<std::vector<WebhookEndpoint>> webhooks();
};


}  // namespace tally::http
