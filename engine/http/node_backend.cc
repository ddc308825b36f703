#include "engine/http/node_backend.h"

namespace tally::http {

Result<std::vector<Placement>> NodeBackend::append(std::span<const Command> commands) {
  return node_.append(commands);
}

Result<bool> NodeBackend::wait_applied(Partition p, Offset o, std::chrono::milliseconds wait) {
  if (node_.wait_applied(p, o, wait)) return true;
  const Status s = node_.pipeline(p).status();
  if (!s.ok()) return s.with_context("partition " + std::to_string(p.value) + " stopped");
  return false;
}

Result<Offset> NodeBackend::known_end(Partition p) { return node_.log().end_offset(p); }

Result<std::optional<Account>> NodeBackend::account(AccountId id) { return node_.account(id); }

Result<std::optional<Transfer>> NodeBackend::transfer(TransferId id) { return node_.transfer(id); }

Result<HistoryPage> NodeBackend::history(const HistoryQuery& query) { return node_.history(query); }

Result<Balances> NodeBackend::balance_at(AccountId id, Timestamp at) {
  return node_.balance_at(id, at);
}

Result<std::vector<Transfer>> NodeBackend::pending(Partition p, size_t limit,
                                                   std::optional<TransferId> after) {
  return pending_transfers(node_.store(p), limit, after);
}

Result<std::optional<OffsetOutcomes>> NodeBackend::outcomes(Partition p, Offset o) {
  return node_.store(p).outcomes(o);
}

Result<std::optional<QuarantinedRecord>> NodeBackend::quarantined(Partition p, Offset o) {
  return find_quarantined(node_.store(p), o);
}

}  // namespace tally::http
