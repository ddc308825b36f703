#include "engine/http/node_backend.h"

#include "engine/core/logging.h"
#include "engine/http/checkpoint_dir.h"

namespace tally::http {

Result<std::vector<Placement>> NodeBackend::append(std::span<const Command> commands,
                                                   Log::Deadline deadline) {
  return node_.append(commands, deadline);
}

std::chrono::seconds NodeBackend::append_retry_after() {
  const BreakerSnapshot b = node_.breaker_log().snapshot();
  if (b.state != BreakerState::open) return std::chrono::seconds(1);
  const auto s = std::chrono::ceil<std::chrono::seconds>(b.until_half_open);
  return std::max(s, std::chrono::seconds(1));
}

Result<bool> NodeBackend::wait_applied(Partition p, Offset o, std::chrono::milliseconds wait) {
  if (node_.wait_applied(p, o, wait)) return true;
  const Status s = node_.pipeline(p).status();
  if (!s.ok()) return s.with_context("partition " + std::to_string(p.value) + " stopped");
  // Appended, but the partition's store cannot take writes (its disk is
  // full or read-only): say so (503) rather than a bare timeout.
  const Status stalled = node_.pipeline(p).last_transient_error();
  if (stalled.code() == StatusCode::resource_exhausted) {
    return stalled.with_context("appended at partition " + std::to_string(p.value) + " offset " +
                                std::to_string(o.value) + ", not applied yet");
  }
  return false;
}

Result<Offset> NodeBackend::known_end(Partition p) { return node_.log().end_offset(p); }

std::optional<Offset> NodeBackend::applied(Partition p) {
  if (!node_.owns(p)) return std::nullopt;
  return node_.pipeline(p).applied();
}

Result<std::optional<Account>> NodeBackend::account(AccountId id) { return node_.account(id); }

Result<std::optional<Transfer>> NodeBackend::transfer(TransferId id) { return node_.transfer(id); }
Result<std::vector<Partition>> NodeBackend::transfer_partitions(TransferId id) {
  return node_.transfer_partitions(id);
}

Result<HistoryPage> NodeBackend::history(const HistoryQuery& query) { return node_.history(query); }

Result<Balances> NodeBackend::balance_at(AccountId id, Timestamp at) {
  return node_.balance_at(id, at);
}

Result<std::vector<Transfer>> NodeBackend::pending(Partition p, size_t limit,
                                                   std::optional<TransferId> after) {
  if (!node_.owns(p)) return std::vector<Transfer>();
  return pending_transfers(*node_.store_ref(p), limit, after);
}

Result<ListPage<Account>> NodeBackend::list_accounts(Partition p, const ListFilter& filter, size_t limit,
                                                     std::optional<Timestamp> after) {
  if (!node_.owns(p)) return ListPage<Account>();
  return tally::list_accounts(*node_.store_ref(p), filter, limit, after);
}

Result<ListPage<Transfer>> NodeBackend::list_transfers(Partition p, const TransferFilter& filter,
                                                       size_t limit, std::optional<Timestamp> after) {
  if (!node_.owns(p)) return ListPage<Transfer>();
  return tally::list_transfers(*node_.store_ref(p), filter, limit, after);
}

HealthReport NodeBackend::health() {
  HealthReport r = node_.health();
  for (const auto& extra : extra_health_) {
    const ComponentHealth c = extra();
    if (!c.ok && c.critical) r.status = "down";
    if (!c.ok && !c.critical && r.status == "ok") r.status = "degraded";
    r.components.push_back(c);
  }
  if (!membership_.health) return r;
  const ComponentHealth c = membership_.health();
  if (!c.ok && c.critical) r.status = "down";
  if (!c.ok && !c.critical && r.status == "ok") r.status = "degraded";
  r.components.push_back(c);
  return r;
}

PartitionOwner NodeBackend::owner(Partition p) {
  if (node_.owns(p)) return PartitionOwner{};
  PartitionOwner o;
  o.kind = PartitionOwner::Kind::unknown;
  if (membership_.owner) {
    if (std::optional<std::string> a = membership_.owner(p)) {
      o.kind = PartitionOwner::Kind::other;
      o.address = *a;
      return o;
    }
    o.reason = "no member of the consumer group is known to own it yet (a handover may be in "
               "progress; retry shortly)";
  } else {
    o.reason = "this node does not serve it";
  }
  return o;
}

// The events must come from a store that holds every record below the
// offset read as applied: the applied offset is read after the wait and
// before the store, which the pipeline writes first.
Result<EventPage> NodeBackend::events(Partition p, EventCursor from, size_t limit, std::chrono::milliseconds wait) {
  if (!node_.owns(p)) {
    return Status::FailedPrecondition("partition " + std::to_string(p.value) +
                                      " is applied by another member of the group: ask its owner");
  }
  TALLY_ASSIGN_OR_RETURN(Offset end, node_.log().end_offset(p));
  if (from.offset > end) {
    return Status::InvalidArgument("cursor offset " + std::to_string(from.offset.value) + " is past the end of partition " +
                                   std::to_string(p.value) + " (offset " + std::to_string(end.value) + ")");
  }
  if (!node_.wait_applied(p, from.offset, wait)) {
    const Status s = node_.pipeline(p).status();
    if (!s.ok()) return s.with_context("partition " + std::to_string(p.value) + " stopped");
  }
  const Offset applied = node_.pipeline(p).applied();
  return read_events(node_.log(), *node_.store_ref(p), applied, from, limit);
}

Result<std::optional<OffsetOutcomes>> NodeBackend::outcomes(Partition p, Offset o) {
  return node_.store_ref(p)->outcomes(o);
}

Result<std::optional<QuarantinedRecord>> NodeBackend::quarantined(Partition p, Offset o) {
  return quarantined_at(*node_.store_ref(p), o);
}

Result<std::optional<SagaStatus>> NodeBackend::saga(TransferId id) {
  // Held for the read: a rebuild switched in meanwhile leaves these valid.
  std::vector<std::shared_ptr<const PartitionStore>> held;
  std::vector<const PartitionStore*> stores;
  for (uint32_t p = 0; p < node_.partition_count(); p++) {
    held.push_back(node_.owns(Partition{p}) ? node_.store_ref(Partition{p}) : nullptr);
    stores.push_back(held.back().get());
  }
  return find_saga(stores, id);
}

Result<std::vector<Account>> NodeBackend::transit(Partition p) {
  if (!node_.owns(p)) return std::vector<Account>();
  return transit_accounts(*node_.store_ref(p));
}

Result<RebuildReport> NodeBackend::rebuild(Partition p) {
  logging::info("admin", "rebuild of partition {} requested", p.value);
  Result<RebuildReport> r = node_.rebuild(p);
  if (!r.ok()) {
    logging::warn("admin", "rebuild of partition {} failed: {}", p.value, r.status().to_string());
  } else if (!r->switched) {
    logging::error("admin", "rebuild of partition {}: digests differ at offset {}; the live store was kept",
                   p.value, r->offset.value);
  } else {
    logging::info("admin", "rebuild of partition {} switched in at offset {} ({} records, paused {} us, {})",
                  p.value, r->offset.value, r->records, r->paused.count(), r->store_dir);
  }
  return r;
}

Result<CheckpointReport> NodeBackend::checkpoint(const std::string& dir) {
  Result<std::string> target = checkpoint_target(checkpoint_root_, dir);
  if (!target.ok()) {
    logging::warn("admin", "checkpoint refused: {}", target.status().to_string());
    return target.status();
  }
  logging::info("admin", "checkpoint to {} requested", *target);
  Result<CheckpointReport> r = node_.checkpoint(*target);
  if (!r.ok()) {
    logging::warn("admin", "checkpoint to {} failed: {}", *target, r.status().to_string());
  } else {
    logging::info("admin", "checkpoint to {} done: {} partitions in {} s", *target, r->partitions.size(), r->seconds);
  }
  return r;
}

std::string NodeBackend::metrics_text() {
  std::string out = node_.metrics_text();
  for (const auto& extra : extra_metrics_) out += extra();
  return out;
}

Result<WebhookEndpoint> NodeBackend::add_webhook(const WebhookRequest& request) {
  if (webhooks_ == nullptr) return Backend::add_webhook(request);
  return webhooks_->add(request);
}
Status NodeBackend::remove_webhook(const std::string& id) {
  if (webhooks_ == nullptr) return Backend::remove_webhook(id);
  return webhooks_->remove(id);
}
Result<std::vector<WebhookEndpoint>> NodeBackend::webhooks() {
  if (webhooks_ == nullptr) return Backend::webhooks();
  return webhooks_->list();
}

}  // namespace tally::http
