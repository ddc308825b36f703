#include "projections/queries.h"

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
  const std::string from = keys::history(q.account, lo);
  std::string to = keys::history(q.account, hi);
  to.push_back('\0');  // make `hi` inclusive
  std::vector<std::pair<Timestamp, HistoryValue>> found;
  Status bad;
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(from, to, q.descending, q.limit + 1,
                                              [&](std::string_view k, std::string_view v) {
                                                auto h = decode_history(v);
                                                if (!h.ok()) {
                                                  bad = h.status();
                                                  return false;
                                                }
                                                found.emplace_back(Timestamp{get_be64(k.data() + 17)}, *h);
                                                return true;
                                              }));
  (void)n;
  TALLY_RETURN_IF_ERROR(bad);
  const bool more = found.size() > q.limit;
  if (more) found.resize(q.limit);
  for (const auto& [ts, h] : found) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store.transfer(h.transfer));
    if (!t) {
      return Status::Corruption("history of account " + q.account.str() + " names transfer " +
                                h.transfer.str() + ", which is not stored");
    }
    page.items.push_back(HistoryItem{ts, *t, h.has_balances, h.balances});
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
  const std::string from = keys::history_prefix(account);
  std::string to = keys::history(account, at);
  to.push_back('\0');
  Balances out;
  Status bad;
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(from, to, /*descending=*/true, 1,
                                              [&](std::string_view, std::string_view v) {
                                                auto h = decode_history(v);
                                                if (!h.ok()) {
                                                  bad = h.status();
                                                } else {
                                                  out = h->balances;
                                                }
                                                return false;
                                              }));
  (void)n;
  TALLY_RETURN_IF_ERROR(bad);
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

}  // namespace tally
