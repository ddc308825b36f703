#include "projections/queries.h"

#include <functional>

#include "engine/core/bytes.h"

namespace tally {
namespace {

Status check_limit(size_t limit) {
  if (limit == 0 || limit > kMaxPageSize) {
    return Status::InvalidArgument("limit " + std::to_string(limit) + " is out of range 1.." +
                                   std::to_string(kMaxPageSize));
  }
  return Status::Ok();
}

Result<Account> existing_account(const PartitionStore& store, AccountId id) {
  TALLY_ASSIGN_OR_RETURN(std::optional<Account> a, store.account(id));
  if (!a || a->outcome != Outcome::created) {
    return Status::NotFound("account " + id.str() + " not found");
  }
  return *a;
}

}  // namespace

namespace {

// The key of the last history block of `account` that starts at or before
// `ts`, or the account's first block key when none does.
Result<std::string> block_at_or_before(const PartitionStore& store, AccountId account,
                                       Timestamp ts) {
  std::string found = keys::history(account, Timestamp{0});
  std::string to = keys::history(account, ts);
  to.push_back('\0');
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(keys::history_prefix(account), to, true, 1,
                                              [&](std::string_view k, std::string_view) {
                                                found.assign(k);
                                                return false;
                                              }));
  (void)n;
  return found;
}

}  // namespace

Status visit_history(const PartitionStore& store, AccountId account, Timestamp lo, Timestamp hi,
                     bool descending,
                     const std::function<bool(const HistoryBlock::Entry&)>& fn) {
  Status bad;
  bool more = true;
  auto block = [&](std::string_view, std::string_view v) {
    auto b = decode_history(v);
    if (!b.ok()) {
      bad = b.status().with_context("history of account " + account.str());
      return false;
    }
    const auto& e = b->entries;
    for (size_t i = 0; i < e.size() && more; i++) {
      const HistoryBlock::Entry& x = descending ? e[e.size() - 1 - i] : e[i];
      if (x.timestamp >= lo && x.timestamp <= hi) more = fn(x);
    }
    // Descending: a block that starts at or before `lo` is the last one needed.
    if (descending && !e.empty() && e.front().timestamp <= lo) more = false;
    return more;
  };
  std::string to = keys::history(account, hi);
  to.push_back('\0');
  if (descending) {
    TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(keys::history_prefix(account), to, true, 0, block));
    (void)n;
  } else {
    TALLY_ASSIGN_OR_RETURN(std::string from, block_at_or_before(store, account, lo));
    TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(from, to, false, 0, block));
    (void)n;
  }
  return bad;
}

Result<HistoryPage> account_history(const PartitionStore& store, const HistoryQuery& q) {
  TALLY_RETURN_IF_ERROR(check_limit(q.limit));
  TALLY_RETURN_IF_ERROR(existing_account(store, q.account).status());
  Timestamp lo = q.from, hi = q.to;
  if (q.after) {
    if (q.descending) {
      if (q.after->ns == 0) return HistoryPage{};
      hi = Timestamp{std::min(hi.ns, q.after->ns - 1)};
    } else {
      if (q.after->ns == ~uint64_t{0}) return HistoryPage{};
      lo = Timestamp{std::max(lo.ns, q.after->ns + 1)};
    }
  }
  HistoryPage page;
  if (lo > hi) return page;
  std::vector<HistoryBlock::Entry> found;
  TALLY_RETURN_IF_ERROR(visit_history(store, q.account, lo, hi, q.descending,
                                      [&](const HistoryBlock::Entry& e) {
                                        found.push_back(e);
                                        return found.size() <= q.limit;
                                      }));
  const bool more = found.size() > q.limit;
  if (more) found.resize(q.limit);
  for (const HistoryBlock::Entry& e : found) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store.transfer(e.transfer));
    if (!t) {
      return Status::Corruption("history of account " + q.account.str() + " names transfer " +
                                e.transfer.str() + ", which is not stored");
    }
    page.items.push_back(HistoryItem{e.timestamp, *t, e.has_balances, e.balances});
  }
  if (more) page.next = page.items.back().timestamp;
  return page;
}

Result<Balances> balance_at(const PartitionStore& store, AccountId account, Timestamp at) {
  TALLY_ASSIGN_OR_RETURN(Account a, existing_account(store, account));
  if ((a.flags & account_flags::history) == 0) {
    return Status::FailedPrecondition("account " + account.str() +
                                      " does not have the history flag; balances at a point in "
                                      "time are kept only for accounts created with it");
  }
  if (a.timestamp > at) {
    return Status::NotFound("account " + account.str() + " did not exist at " +
                            std::to_string(at.ns));
  }
  Balances out;
  TALLY_RETURN_IF_ERROR(visit_history(store, account, Timestamp{0}, at, /*descending=*/true,
                                      [&](const HistoryBlock::Entry& e) {
                                        out = e.balances;
                                        return false;
                                      }));
  return out;
}

Result<std::vector<Transfer>> pending_transfers(const PartitionStore& store, size_t limit,
                                                std::optional<TransferId> after) {
  TALLY_RETURN_IF_ERROR(check_limit(limit));
  const std::string from = after ? keys::pending(*after) + '\0' : std::string("P");
  std::vector<TransferId> ids;
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(from, "Q", false, limit,
                                              [&](std::string_view k, std::string_view) {
                                                ids.emplace_back(get_be128(k.data() + 1));
                                                return true;
                                              }));
  (void)n;
  std::vector<Transfer> out;
  for (TransferId id : ids) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store.transfer(id));
    if (!t) return Status::Corruption("pending index names transfer " + id.str() + ", which is not stored");
    out.push_back(*t);
  }
  return out;
}

Result<std::vector<QuarantinedRecord>> quarantined(const PartitionStore& store, size_t limit) {
  TALLY_RETURN_IF_ERROR(check_limit(limit));
  std::vector<QuarantinedRecord> out;
  Status bad;
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan("E", "F", false, limit,
                                              [&](std::string_view, std::string_view v) {
                                                auto q = decode_quarantine(v);
                                                if (!q.ok()) {
                                                  bad = q.status();
                                                  return false;
                                                }
                                                out.push_back(std::move(*q));
                                                return true;
                                              }));
  (void)n;
  TALLY_RETURN_IF_ERROR(bad);
  return out;
}

namespace {

// The partitions holding the producer's transfer `id`, with it; at most `most`.
Result<std::vector<std::pair<Partition, Transfer>>> producer_transfers(
    std::span<const PartitionStore* const> stores, TransferId id, size_t most) {
  std::vector<std::pair<Partition, Transfer>> out;
  for (uint32_t p = 0; p < stores.size() && out.size() < most; p++) {
    if (stores[p] == nullptr) continue;
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, stores[p]->transfer(id));
    if (t && t->kind != TransferKind::saga_credit) out.emplace_back(Partition{p}, std::move(*t));
  }
  return out;
}

}  // namespace

Result<std::optional<Transfer>> find_transfer(std::span<const PartitionStore* const> stores, TransferId id) {
  TALLY_ASSIGN_OR_RETURN(auto found, producer_transfers(stores, id, 1));
  if (found.empty()) return std::optional<Transfer>();
  return std::optional<Transfer>(std::move(found[0].second));
}

Result<std::vector<Partition>> transfer_partitions(std::span<const PartitionStore* const> stores,
                                                   TransferId id) {
  TALLY_ASSIGN_OR_RETURN(auto found, producer_transfers(stores, id, stores.size()));
  std::vector<Partition> out;
  for (const auto& f : found) out.push_back(f.first);
  return out;
}

Result<std::optional<QuarantinedRecord>> quarantined_at(const PartitionStore& store, Offset o) {
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> v, store.get(keys::quarantine(o)));
  if (!v) return std::optional<QuarantinedRecord>();
  TALLY_ASSIGN_OR_RETURN(QuarantinedRecord q, decode_quarantine(*v));
  return std::optional<QuarantinedRecord>(std::move(q));
}

}  // namespace tally
