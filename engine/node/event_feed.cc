#include "engine/node/event_feed.h"

#include <algorithm>
#include <cassert>

#include "engine/log/record_check.h"
#include "projections/queries.h"

namespace tally {
namespace {

// How long one read of records known to be in the log may wait for them
// (a Kafka fetch); past it the page ends with what it has.
constexpr std::chrono::milliseconds kFetchWait{5000};
constexpr size_t kRecordsPerFetch = 64;

std::string place(Partition p, Offset o) { return record_place(p, o); }

// The events of one applied record, from `from_index` on.
Result<std::vector<ChangeEvent>> events_of(const PartitionStore& store, const LogRecord& record,
                                           uint32_t from_index, size_t& commands) {
  TALLY_ASSIGN_OR_RETURN(std::optional<OffsetOutcomes> outcomes, store.outcomes(record.offset));
  if (!outcomes) {
    TALLY_ASSIGN_OR_RETURN(std::optional<QuarantinedRecord> q, quarantined_at(store, record.offset));
    if (!q) {
      return Status::Corruption(place(record.partition, record.offset) +
                                " is applied but the store has neither its outcomes nor a quarantine entry");
    }
    if (from_index != 0) {
      return Status::InvalidArgument("cursor index " + std::to_string(from_index) + " is past the one event of " +
                                     place(record.partition, record.offset) + " (a quarantined record)");
    }
    commands = 1;
    return std::vector<ChangeEvent>{quarantine_event(record.partition, record.offset, q->reason)};
  }
  Result<std::vector<Command>> decoded = decode_record(record);
  if (!decoded.ok()) {
    return Status::Corruption("the store holds outcomes for " + place(record.partition, record.offset) +
                              " but the log's record there does not decode: " + decoded.status().message());
  }
  commands = decoded->size();
  return record_events(store, record.partition, record.offset, *decoded, *outcomes, from_index);
}

}  // namespace

Result<EventPage> read_events(Log& log, const PartitionStore& store, Offset applied_end, EventCursor from,
                              size_t limit) {
  assert(limit > 0);
  EventPage page;
  page.next = from;
  if (from.offset >= applied_end) return page;
  TALLY_ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, log.read(from.partition, from.offset));
  Offset expect = from.offset;
  while (page.events.size() < limit && expect < applied_end) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kRecordsPerFetch, applied_end.value - expect.value));
    TALLY_ASSIGN_OR_RETURN(std::vector<LogRecord> records, reader->next(want, kFetchWait));
    if (records.empty()) {
      if (!page.events.empty()) break;
      return Status::Unavailable("the log did not return " + place(from.partition, expect) + " within " +
                                 std::to_string(kFetchWait.count()) + " ms");
    }
    for (const LogRecord& r : records) {
      if (r.offset != expect) {
        return Status::NotFound(place(from.partition, expect) + " is no longer in the log (it continues at offset " +
                                std::to_string(r.offset.value) + ")");
      }
      if (r.offset >= applied_end || page.events.size() >= limit) break;
      const uint32_t first = r.offset == from.offset ? from.index : 0;
      size_t commands = 0;
      TALLY_ASSIGN_OR_RETURN(std::vector<ChangeEvent> events, events_of(store, r, first, commands));
      const size_t take = std::min(events.size(), limit - page.events.size());
      for (size_t i = 0; i < take; i++) {
        page.next = cursor_after(events[i], commands);
        page.events.push_back(std::move(events[i]));
      }
      expect = Offset{r.offset.value + 1};
    }
  }
  return page;
}

}  // namespace tally
