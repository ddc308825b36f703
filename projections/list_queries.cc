#include "projections/list_queries.h"

#include "projections/list_index.h"
#include "projections/queries.h"

namespace tally {
namespace {

// The index term a query walks: the most selective one it names.
IndexTerm chosen_term(const ListFilter& f) {
  if (f.user_data_128) return {IndexField::user_data_128, *f.user_data_128};
  if (f.user_data_64) return {IndexField::user_data_64, *f.user_data_64};
  if (f.user_data_32) return {IndexField::user_data_32, *f.user_data_32};
  if (f.code) return {IndexField::code, *f.code};
  if (f.ledger) return {IndexField::ledger, *f.ledger};
  return {IndexField::all, 0};
}

template <class R>
bool fields_match(const ListFilter& f, const R& r) {
  return (!f.ledger || r.ledger == *f.ledger) && (!f.code || r.code == *f.code) &&
         (!f.user_data_128 || r.user_data_128 == *f.user_data_128) &&
         (!f.user_data_64 || r.user_data_64 == *f.user_data_64) &&
         (!f.user_data_32 || r.user_data_32 == *f.user_data_32);
}

bool transfer_matches(const TransferFilter& f, const Transfer& t) {
  if (t.outcome != Outcome::created || !fields_match(f, t)) return false;
  if (f.pending && (t.state == PendingState::pending) != *f.pending) return false;
  if (f.account) {
    const bool debit = t.debit_account_id == *f.account, credit = t.credit_account_id == *f.account;
    if (f.side == AccountSide::debit && !debit) return false;
    if (f.side == AccountSide::credit && !credit) return false;
    if (!debit && !credit) return false;
  }
  return true;
}

// The range [lo, hi] left to walk, or nullopt when empty.
Result<std::optional<std::pair<Timestamp, Timestamp>>> walk_range(const ListFilter& f, size_t limit,
                                                                  std::optional<Timestamp> after) {
  if (limit == 0 || limit > kMaxPageSize) {
    return Status::InvalidArgument("limit " + std::to_string(limit) + " is out of range 1.." +
                                   std::to_string(kMaxPageSize));
  }
  if (f.from > f.to) {
    return Status::InvalidArgument("from (" + std::to_string(f.from.ns) + ") is after to (" +
                                   std::to_string(f.to.ns) + ")");
  }
  Timestamp lo = f.from;
  if (after) {
    if (after->ns == ~uint64_t{0}) return std::optional<std::pair<Timestamp, Timestamp>>();
    lo = Timestamp{std::max(lo.ns, after->ns + 1)};
  }
  if (lo > f.to) return std::optional<std::pair<Timestamp, Timestamp>>();
  return std::optional<std::pair<Timestamp, Timestamp>>(std::pair{lo, f.to});
}

// Visits one term's index entries with timestamps in [lo, hi], ascending,
// until `fn` returns false or fails.
Status visit_index(const PartitionStore& store, char tag, IndexTerm term, Timestamp lo, Timestamp hi,
                   const std::function<Result<bool>(const IndexBlock::Entry&)>& fn) {
  const std::string prefix = keys::index_prefix(tag, term);
  std::string to = keys::index(tag, term, hi);
  to.push_back('\0');
  // The block holding `lo` may start before it: start at the last block
  // that starts at or before `lo`.
  std::string from = prefix;
  std::string at_lo = keys::index(tag, term, lo);
  at_lo.push_back('\0');
  TALLY_ASSIGN_OR_RETURN(size_t found, store.scan(prefix, at_lo, true, 1, [&](std::string_view k, std::string_view) {
    from.assign(k);
    return false;
  }));
  (void)found;
  Status bad;
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(from, to, false, 0, [&](std::string_view, std::string_view v) {
    Result<IndexBlock> b = decode_index(v);
    if (!b.ok()) {
      bad = b.status();
      return false;
    }
    for (const IndexBlock::Entry& e : b->entries) {
      if (e.timestamp < lo) continue;
      if (e.timestamp > hi) return false;
      Result<bool> more = fn(e);
      if (!more.ok()) {
        bad = more.status();
        return false;
      }
      if (!*more) return false;
    }
    return true;
  }));
  (void)n;
  return bad;
}

// A store written before the indexes and not yet opened read-write since
// (store_index.h) has none: say so rather than list nothing.
Status require_indexes(const PartitionStore& store) {
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> marker, store.get(kIndexMarker));
  if (marker) return Status::Ok();
  return Status::FailedPrecondition("partition " + std::to_string(store.options().partition.value) +
                                    " has no list indexes yet: its store was written before them; they "
                                    "are built once when tally serve opens it (docs/queries.md)");
}

// Adds `item` to the page unless it is full; a full page that finds one
// more sets the cursor and stops the walk.
template <class T>
bool take(ListPage<T>& page, size_t limit, T item) {
  if (page.items.size() == limit) {
    page.next = page.items.back().timestamp;
    return false;
  }
  page.items.push_back(std::move(item));
  return true;
}

}  // namespace

Result<ListPage<Account>> list_accounts(const PartitionStore& store, const ListFilter& filter,
                                        size_t limit, std::optional<Timestamp> after) {
  TALLY_ASSIGN_OR_RETURN(auto range, walk_range(filter, limit, after));
  ListPage<Account> page;
  if (!range) return page;
  TALLY_RETURN_IF_ERROR(require_indexes(store));
  TALLY_RETURN_IF_ERROR(visit_index(
      store, kAccountIndexTag, chosen_term(filter), range->first, range->second,
      [&](const IndexBlock::Entry& e) -> Result<bool> {
        TALLY_ASSIGN_OR_RETURN(std::optional<Account> a, store.account(AccountId(e.id)));
        if (!a) return Status::Corruption("account index names account " + u128_to_string(e.id) + ", which is not stored");
        if (!fields_match(filter, *a)) return true;
        return take(page, limit, std::move(*a));
      }));
  return page;
}

Result<ListPage<Transfer>> list_transfers(const PartitionStore& store, const TransferFilter& filter,
                                          size_t limit, std::optional<Timestamp> after) {
  TALLY_ASSIGN_OR_RETURN(auto range, walk_range(filter, limit, after));
  ListPage<Transfer> page;
  if (!range) return page;
  auto visit = [&](TransferId id, Timestamp ts) -> Result<bool> {
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store.transfer(id));
    if (!t) return Status::Corruption("an index names transfer " + id.str() + ", which is not stored");
    // History also lists later changes (an expiry): a transfer counts once,
    // at its creation.
    if (t->timestamp != ts || !transfer_matches(filter, *t)) return true;
    return take(page, limit, std::move(*t));
  };
  if (filter.account) {
    Status bad;
    TALLY_RETURN_IF_ERROR(visit_history(store, *filter.account, range->first, range->second, false,
                                        [&](const HistoryBlock::Entry& e) {
                                          Result<bool> more = visit(e.transfer, e.timestamp);
                                          if (!more.ok()) bad = more.status();
                                          return more.ok() && *more;
                                        }));
    TALLY_RETURN_IF_ERROR(bad);
    return page;
  }
  TALLY_RETURN_IF_ERROR(require_indexes(store));
  TALLY_RETURN_IF_ERROR(visit_index(store, kTransferIndexTag, chosen_term(filter), range->first, range->second,
                                    [&](const IndexBlock::Entry& e) { return visit(TransferId(e.id), e.timestamp); }));
  return page;
}

}  // namespace tally
