#include "engine/json/record_json.h"

#include <boost/json.hpp>
#include <iterator>
#include <string>

#include "engine/json/command_json.h"

namespace tally {
namespace json = boost::json;

std::string_view pending_state_name(PendingState state) {
  switch (state) {
    case PendingState::none: return "none";
    case PendingState::pending: return "pending";
    case PendingState::posted: return "posted";
    case PendingState::voided: return "voided";
    case PendingState::expired: return "expired";
  }
  return "unknown";
}

json::string timestamp_to_json(Timestamp ts) { return json::string(std::to_string(ts.ns)); }

json::object balances_to_json(const Balances& b) {
  return {{"debits_pending", u128_to_json(b.debits_pending)},
          {"debits_posted", u128_to_json(b.debits_posted)},
          {"credits_pending", u128_to_json(b.credits_pending)},
          {"credits_posted", u128_to_json(b.credits_posted)}};
}

json::object account_to_json(const Account& a) {
  json::object o;
  account_fields_to_json(a, o);
  for (auto& kv : balances_to_json(a.balances)) o.emplace(kv.key(), kv.value());
  o["timestamp"] = timestamp_to_json(a.timestamp);
  o["outcome"] = outcome_name(a.outcome);
  return o;
}

json::object transfer_to_json(const Transfer& t) {
  json::object o;
  transfer_fields_to_json(t, o);
  o["timestamp"] = timestamp_to_json(t.timestamp);
  o["outcome"] = outcome_name(t.outcome);
  if (t.state != PendingState::none) o["state"] = pending_state_name(t.state);
  if (t.expires_at.ns != 0) o["expires_at"] = timestamp_to_json(t.expires_at);
  if (t.requested_amount != t.amount && t.requested_amount.value() != 0) {
    o["requested_amount"] = u128_to_json(t.requested_amount.value());
  }
  return o;
}

json::object history_to_json(AccountId account, const HistoryPage& page) {
  json::array items;
  for (const HistoryItem& item : page.items) {
    json::object i{{"timestamp", timestamp_to_json(item.timestamp)},
                   {"transfer", transfer_to_json(item.transfer)}};
    if (item.has_balances) i["balances"] = balances_to_json(item.balances);
    items.emplace_back(std::move(i));
  }
  json::object o{{"account_id", u128_to_json(account.value())}, {"items", std::move(items)}};
  if (page.next) o["next_cursor"] = timestamp_to_json(*page.next);
  return o;
}

json::object balance_at_to_json(AccountId account, Timestamp at, const Balances& b) {
  json::object o{{"account_id", u128_to_json(account.value())}, {"at", timestamp_to_json(at)}};
  for (auto& kv : balances_to_json(b)) o.emplace(kv.key(), kv.value());
  return o;
}

json::object pending_to_json(const std::vector<Transfer>& transfers,
                             std::optional<TransferId> next) {
  json::array list;
  for (const Transfer& t : transfers) list.emplace_back(transfer_to_json(t));
  json::object o{{"transfers", std::move(list)}};
  if (next) o["next_cursor"] = u128_to_json(next->value());
  return o;
}

json::object offset_outcomes_to_json(Partition p, Offset off, const OffsetOutcomes& out) {
  json::array names;
  for (Outcome o : out.outcomes) names.emplace_back(outcome_name(o));
  return {{"partition", p.value},
          {"offset", off.value},
          {"first_timestamp", timestamp_to_json(out.first_timestamp)},
          {"outcomes", std::move(names)}};
}

json::object quarantined_to_json(Partition p, const QuarantinedRecord& q) {
  return {{"partition", p.value},
          {"offset", q.offset.value},
          {"quarantined", true},
          {"reason", q.reason}};
}

}  // namespace tally
