// Reading the change stream of one partition (docs/events.md): the events
// of the records from a cursor on, up to what the partition has applied,
// joining the log's records (the commands) with the store's outcomes
// (projections/change_events.h). The HTTP route GET /v1/events and `tally
// events` read through it.
//
// Thread-safe as the Log and the store are: each call opens its own reader.
#pragma once

#include <vector>

#include "engine/log/log.h"
#include "projections/change_events.h"

namespace tally {

struct EventPage {
  std::vector<ChangeEvent> events;  // in log order
  EventCursor next;                 // where the next page starts
};

// Up to `limit` events at or after `from`, from records below `applied_end`
// (the next offset the partition applies: everything below it is in
// `store`). An empty page (next = from) when from is at applied_end.
// Errors: not_found when the log no longer holds from.offset (retention
// removed it: the cursor has expired); invalid_argument for a cursor past
// its record's commands; corruption when the log and the store disagree.
// REQUIRES: limit > 0; from.partition is the store's partition.
Result<EventPage> read_events(Log& log, const PartitionStore& store, Offset applied_end, EventCursor from,
                              size_t limit);

}  // namespace tally
