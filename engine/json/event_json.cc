#include "engine/json/event_json.h"

#include <boost/json.hpp>

#include "engine/json/command_json.h"
#include "engine/json/record_json.h"

namespace tally {
namespace json = boost::json;

json::object event_to_json(const ChangeEvent& e) {
  json::object o;
  o["cursor"] = cursor_to_string(e.position);
  o["partition"] = e.position.partition.value;
  o["offset"] = e.position.offset.value;
  o["index"] = e.position.index;
  if (e.quarantined) {
    o["type"] = "quarantined";
    o["reason"] = *e.quarantined;
    return o;
  }
  o["timestamp"] = timestamp_to_json(e.timestamp);
  o["type"] = command_type_name(e.command);
  o["result"] = outcome_name(e.outcome);
  o["command"] = command_to_json(e.command);
  if (e.transfer) o["transfer"] = transfer_to_json(*e.transfer);
  if (!e.balances.empty()) {
    json::array balances;
    for (const EventBalances& b : e.balances) {
      json::object entry{{"account_id", u128_to_string(b.account.value())}};
      for (auto& [k, v] : balances_to_json(b.balances)) entry[k] = v;
      balances.push_back(std::move(entry));
    }
    o["balances"] = std::move(balances);
  }
  return o;
}

json::object event_page_to_json(Partition partition, std::span<const ChangeEvent> events, const EventCursor& next) {
  json::array list;
  list.reserve(events.size());
  for (const ChangeEvent& e : events) list.push_back(event_to_json(e));
  return json::object{{"partition", partition.value}, {"events", std::move(list)},
                      {"next_cursor", cursor_to_string(next)}};
}

}  // namespace tally
