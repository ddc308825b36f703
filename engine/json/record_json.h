// The projection's records as JSON: the one place that decides how accounts,
// transfers, history pages, balances and outcomes look to the outside. The
// HTTP API (engine/http) and `tally query --json` print exactly this.
//
// u128 values (ids, amounts, user_data_128) and 64-bit values that exceed
// JavaScript's safe integers (timestamps in ns, user_data_64) are decimal
// strings; small integers (ledger, code, timeout, partition, offset) are
// numbers; flags are lists of names. Thread-safe: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "projections/model.h"
#include "projections/queries.h"
#include "projections/records.h"

namespace tally {

// "pending", "posted", "voided", "expired" ("none" for a transfer that is not pending).
std::string_view pending_state_name(PendingState state);

boost::json::string timestamp_to_json(Timestamp ts);

// {"debits_pending":"0","debits_posted":"0","credits_pending":"0","credits_posted":"0"}
boost::json::object balances_to_json(const Balances& b);

// Fields, balances, timestamp and outcome of an account.
boost::json::object account_to_json(const Account& a);

// Fields, amount, timestamp and outcome of a transfer; "state" (and
// "expires_at" when it has a timeout) for pending transfers;
// "requested_amount" when the amount that moved differs from the one asked.
boost::json::object transfer_to_json(const Transfer& t);

// {"account_id":"7","items":[{"timestamp":"..","transfer":{..},"balances":{..}}],
//  "next_cursor":".."}; "balances" only for accounts with the history flag,
// "next_cursor" only when there is more.
boost::json::object history_to_json(AccountId account, const HistoryPage& page);

// {"account_id":"7","at":"..", <balances>}
boost::json::object balance_at_to_json(AccountId account, Timestamp at, const Balances& b);

// {"transfers":[..],"next_cursor":".."}; "next_cursor" only when there may be more.
boost::json::object pending_to_json(const std::vector<Transfer>& transfers,
                                    std::optional<TransferId> next);

// {"partition":3,"offset":17,"first_timestamp":"..","outcomes":["created",..]};
// command i of the record applied at first_timestamp + i.
boost::json::object offset_outcomes_to_json(Partition p, Offset o, const OffsetOutcomes& out);

// {"partition":3,"offset":17,"quarantined":true,"reason":".."}
boost::json::object quarantined_to_json(Partition p, const QuarantinedRecord& q);

}  // namespace tally
