// List and filter queries over one partition's store (docs/queries.md),
// served from the list indexes (projections/list_index.h) and, for
// transfers of one account, from its history blocks ('H').
//
// Each query walks one index in creation-time order: the most selective
// term it was given (user_data_128, then _64, _32, code, ledger; an account
// filter uses the account's history), from the first entry at or after
// `from` (or past the cursor), and reads each record the index names; the
// other filters are checked on the record. It stops at `limit` items, at
// `to`, or at the index's end, so it reads no more than the page plus what
// the other filters reject inside the index's range. Only created records
// are listed (final rejections are not), and no system account.
#pragma once

#include <optional>
#include <vector>

#include "engine/core/status.h"
#include "projections/store.h"

namespace tally {

struct ListFilter {
  std::optional<Ledger> ledger;
  std::optional<Code> code;
  std::optional<u128> user_data_128;   // non-zero: zero is "none" and not indexed
  std::optional<uint64_t> user_data_64;
  std::optional<uint32_t> user_data_32;
  Timestamp from{0};                   // creation time, inclusive
  Timestamp to{~uint64_t{0}};          // inclusive
};

enum class AccountSide : uint8_t { either, debit, credit };

struct TransferFilter : ListFilter {
  std::optional<AccountId> account;    // transfers that debit and/or credit it
  AccountSide side = AccountSide::either;
  std::optional<bool> pending;         // true: still pending; false: every other state
};

template <class T>
struct ListPage {
  std::vector<T> items;            // ascending creation timestamps
  std::optional<Timestamp> next;   // cursor: the last item's timestamp, when more may follow
};

// invalid_argument for a limit outside 1..kMaxPageSize or from > to;
// failed_precondition for a store without the indexes (one written before
// them, opened read-only before a writer built them; the transfers of one
// account need none: they come from its history).
Result<ListPage<Account>> list_accounts(const PartitionStore& store, const ListFilter& filter,
                                        size_t limit, std::optional<Timestamp> after);
Result<ListPage<Transfer>> list_transfers(const PartitionStore& store, const TransferFilter& filter,
                                          size_t limit, std::optional<Timestamp> after);

}  // namespace tally
