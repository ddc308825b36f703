// History: every account's history entries ('H' blocks) are counted and
// compared with what its postings explain. Where the counts differ, the
// account's history is read again, entry by entry, to name the transfer:
// one that is not stored (missing_transfer) or one that appears more often
// than its kind allows (duplicate_posting).
#include <algorithm>

#include "engine/core/bytes.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {

Status PartitionChecker::scan_history() {
  AccountId current;
  AccountFacts* facts = nullptr;
  return store_->scan("H", "I", false, 0, [&](std::string_view k, std::string_view v) {
    if (k.size() != 25) return true;
    const AccountId account(get_be128(k.data() + 1));
    if (facts == nullptr || account != current) {
      current = account;
      auto it = accounts_.find(account);
      facts = it == accounts_.end() ? nullptr : &it->second;
      if (facts == nullptr) {
        report({.kind = "unknown_account",
                .subject = "account",
                .id = account.str(),
                .expected = "an account record for the history",
                .found = "no such account",
                .first_offset = offset_at(Timestamp{get_be64(k.data() + 17)}),
                .detail = "history is stored for an account that is not"});
      }
    }
    auto block = decode_history(v);
    if (!block.ok()) {
      unreadable(k, block.status());
      return true;
    }
    facts_->stats.history_entries += block->entries.size();
    if (facts != nullptr && !block->entries.empty()) {
      facts->history += block->entries.size();
      facts->last_entry = block->entries.back();
    }
    return true;
  }).status();
}

Result<uint64_t> PartitionChecker::allowed_entries(const Transfer& t) const {
  if (t.outcome != Outcome::created) return uint64_t{0};
  if (t.kind == TransferKind::user && t.state == PendingState::expired) return uint64_t{2};
  if (t.kind == TransferKind::saga_source) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Saga> s, store_->saga(t.id));
    return uint64_t{s && s->state != SagaState::in_flight ? 2u : 1u};
  }
  return uint64_t{1};
}

Status PartitionChecker::examine_history(AccountFacts& a) {
  const AccountId id = a.stored.id;
  const std::string from = keys::history_prefix(id);
  std::vector<std::pair<TransferId, uint64_t>> entries;  // (transfer, timestamp)
  TALLY_RETURN_IF_ERROR(
      store_->scan(from, from + std::string(9, '\xff'), false, 0, [&](std::string_view, std::string_view v) {
        auto block = decode_history(v);
        if (block.ok()) {
          for (const auto& e : block->entries) entries.emplace_back(e.transfer, e.timestamp.ns);
        }
        return true;
      }).status());
  std::sort(entries.begin(), entries.end());
  bool named = false;
  for (size_t i = 0; i < entries.size();) {
    size_t j = i;
    while (j < entries.size() && entries[j].first == entries[i].first) j++;
    const TransferId transfer = entries[i].first;
    const uint64_t count = j - i;
    const std::optional<uint64_t> first = offset_at(Timestamp{entries[i].second});
    i = j;
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store_->transfer(transfer));
    if (!t) {
      named = true;
      if (!missing_reported_.insert(transfer).second) continue;
      report({.kind = "missing_transfer", .subject = "transfer", .id = transfer.str(),
              .expected = "a transfer record",
              .found = "none; named " + std::to_string(count) + " time(s) in the history of account " + id.str(),
              .first_offset = first,
              .detail = "a posting in an account's history has no transfer record"});
      continue;
    }
    TALLY_ASSIGN_OR_RETURN(uint64_t allowed, allowed_entries(*t));
    if (count <= allowed) continue;
    named = true;
    report({.kind = "duplicate_posting", .subject = "transfer", .id = transfer.str(),
            .expected = std::to_string(allowed) + " history entries in account " + id.str(),
            .found = std::to_string(count),
            .first_offset = offset_at(t->timestamp),
            .detail = "the transfer was posted to the account more often than it may be"});
  }
  if (!named) {
    report({.kind = "history_count", .subject = "account", .id = id.str(),
            .expected = std::to_string(a.expected_history) + " history entries",
            .found = std::to_string(a.history),
            .first_offset = offset_at(a.stored.timestamp),
            .detail = "the account's history does not match its postings"});
  }
  return Status::Ok();
}

}  // namespace tally::reconcile::detail
