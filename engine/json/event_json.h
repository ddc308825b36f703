// Change-stream events as JSON (docs/events.md): the one form GET /v1/events
// answers in, as JSON pages and as Server-Sent Events. Pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <span>

#include "projections/change_events.h"

namespace tally {

// {"cursor":"0-17-3","partition":0,"offset":17,"index":3,"timestamp":"..",
//  "type":"create_transfer","result":"created","command":{..},
//  "transfer":{..},"balances":[{"account_id":"7",<balances>}]}; "transfer"
// only for a command that created one, "balances" only for accounts with
// the history flag. A quarantined record:
// {"cursor":..,"partition":..,"offset":..,"index":0,"type":"quarantined","reason":".."}.
boost::json::object event_to_json(const ChangeEvent& e);

// {"partition":0,"events":[..],"next_cursor":"0-18-0"}
boost::json::object event_page_to_json(Partition partition, std::span<const ChangeEvent> events,
                                       const EventCursor& next);

}  // namespace tally
