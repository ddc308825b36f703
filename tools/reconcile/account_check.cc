// Accounts: recomputed against stored balances, limits, the history's
// count and last entry, and the per-ledger sums of the partition.
#include <algorithm>

#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {
namespace {
// Accounts whose history is read again entry by entry, at most; past this
// the count alone is reported.
constexpr size_t kMaxExamined = 100;
}  // namespace

void PartitionChecker::check_accounts() {
  std::vector<AccountId> ids;
  ids.reserve(accounts_.size());
  for (const auto& [id, a] : accounts_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // a stable order for the report
  size_t examined = 0;
  for (AccountId id : ids) {
    AccountFacts& a = accounts_[id];
    check_balances(a);
    check_limits(a.stored);
    if (a.history != a.expected_history) {
      if (examined++ < kMaxExamined) {
        if (const Status s = examine_history(a); !s.ok()) unreadable(keys::history_prefix(id), s);
      } else {
        report({.kind = "history_count", .subject = "account", .id = id.str(),
                .expected = std::to_string(a.expected_history) + " history entries",
                .found = std::to_string(a.history),
                .first_offset = offset_at(a.stored.timestamp),
                .detail = "the account's history does not match its postings"});
      }
    }
    const bool flagged = (a.stored.flags & account_flags::history) != 0;
    if (flagged && a.last_entry && a.last_entry->has_balances &&
        a.last_entry->balances != a.stored.balances) {
      report({.kind = "history_mismatch", .subject = "account", .id = id.str(),
              .expected = four(a.stored.balances) + " (stored)",
              .found = four(a.last_entry->balances) + " (last history entry)",
              .first_offset = offset_at(a.last_entry->timestamp),
              .detail = "the account's history does not end at its stored balances"});
    }
  }
  check_sums();
}

void PartitionChecker::check_balances(const AccountFacts& a) {
  if (!a.overflow && a.recomputed == a.stored.balances) return;
  report({.kind = "balance_mismatch", .subject = "account", .id = a.stored.id.str(),
          .expected = four(a.recomputed) + (a.overflow ? " (overflowed 2^128 - 1)" : ""),
          .found = four(a.stored.balances),
          .first_offset = offset_at(a.stored.timestamp),
          .detail = "stored balances differ from those recomputed from the transfers"});
}

void PartitionChecker::check_limits(const Account& a) {
  if (a.outcome != Outcome::created) return;
  const Balances& b = a.balances;
  const std::optional<u128> debits = checked_add(b.debits_pending, b.debits_posted);
  const std::optional<u128> credits = checked_add(b.credits_pending, b.credits_posted);
  auto limit = [&](const char* rule, const std::string& expected, const std::string& found) {
    report({.kind = "limit_exceeded", .subject = "account", .id = a.id.str(),
            .expected = expected, .found = found,
            .first_offset = offset_at(a.timestamp),
            .detail = std::string("the account has ") + rule});
  };
  if ((a.flags & account_flags::debits_must_not_exceed_credits) != 0 &&
      (!debits || *debits > b.credits_posted)) {
    limit("debits_must_not_exceed_credits",
          "debits pending + posted <= credits posted " + u128_to_string(b.credits_posted),
          debits ? u128_to_string(*debits) : "over 2^128 - 1");
  }
  if ((a.flags & account_flags::credits_must_not_exceed_debits) != 0 &&
      (!credits || *credits > b.debits_posted)) {
    limit("credits_must_not_exceed_debits",
          "credits pending + posted <= debits posted " + u128_to_string(b.debits_posted),
          credits ? u128_to_string(*credits) : "over 2^128 - 1");
  }
}

void PartitionChecker::check_sums() {
  for (const auto& [id, a] : accounts_) {
    if (a.stored.outcome == Outcome::created) facts_->sums[a.stored.ledger].add(a.stored.balances);
  }
  for (const auto& [ledger, s] : facts_->sums) {
    if (!(s.debits_posted == s.credits_posted)) {
      report({.kind = "posted_unbalanced", .subject = "ledger", .id = std::to_string(ledger),
              .expected = "credits posted " + s.debits_posted.str() + " (= debits posted)",
              .found = "credits posted " + s.credits_posted.str(),
              .detail = "the partition's posted debits and credits of the ledger differ"});
    }
    if (!(s.debits_pending == s.credits_pending)) {
      report({.kind = "pending_unbalanced", .subject = "ledger", .id = std::to_string(ledger),
              .expected = "credits pending " + s.debits_pending.str() + " (= debits pending)",
              .found = "credits pending " + s.credits_pending.str(),
              .detail = "the partition's pending debits and credits of the ledger differ"});
    }
  }
}

}  // namespace tally::reconcile::detail
