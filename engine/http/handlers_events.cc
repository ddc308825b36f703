// GET /v1/events: the change stream of one partition (docs/events.md), as a
// long-poll JSON page or as Server-Sent Events.
//
// Each answer is one bounded page: up to `limit` events, waiting up to
// `wait_ms` for the first. The SSE form ends its response after the page
// too, with `retry:` set, so an EventSource reconnects at once and resumes
// from the `id:` of the last event it got (sent back as Last-Event-ID):
// long-lived streaming over a handler thread is left to the reconnects.
#include <boost/json.hpp>

#include "engine/json/text.h"
#include "engine/http/api_limits.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"
#include "engine/json/event_json.h"

namespace tally::http {
namespace {

constexpr char kEventStreamType[] = "text/event-stream";
// How soon an EventSource reconnects after a page ends, in ms.
constexpr int kSseRetryMs = 200;

struct EventsRequest {
  EventCursor from;
  size_t limit = kDefaultPageLimit;
  std::chrono::milliseconds wait{0};
  bool sse = false;
};

Result<bool> wants_sse(const QueryParams& q, std::string_view accept) {
  const std::optional<std::string_view> format = q.get("format");
  if (!format) return accept.find(kEventStreamType) != std::string_view::npos;
  if (*format == "sse") return true;
  if (*format == "json") return false;
  return Status::InvalidArgument("query parameter \"format\" must be json or sse, got \"" +
                                 std::string(format->substr(0, 32)) + "\"");
}

// The start: Last-Event-ID (an EventSource resuming) over `from`, over the
// partition's first event. A partition given beside a cursor must agree.
Result<EventCursor> start_of(const QueryParams& q, const RouteArgs& args, uint32_t partitions) {
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> part, q.uint("partition", 0, partitions - 1));
  std::optional<EventCursor> cursor;
  if (!args.last_event_id.empty()) {
    TALLY_ASSIGN_OR_RETURN(cursor, parse_cursor(args.last_event_id, "header Last-Event-ID", partitions));
  } else if (std::optional<std::string_view> from = q.get("from")) {
    TALLY_ASSIGN_OR_RETURN(cursor, parse_cursor(*from, "query parameter \"from\"", partitions));
  }
  if (!cursor) {
    if (!part) return Status::InvalidArgument("query parameter \"partition\" (or a cursor in \"from\") is required");
    return EventCursor{Partition{static_cast<uint32_t>(*part)}, Offset{0}, 0};
  }
  if (part && *part != cursor->partition.value) {
    return Status::InvalidArgument("query parameter \"partition\" (" + std::to_string(*part) +
                                   ") differs from the cursor's partition (" +
                                   std::to_string(cursor->partition.value) + ")");
  }
  return *cursor;
}

Result<EventsRequest> events_request(const RouteArgs& args, uint32_t partitions) {
  TALLY_ASSIGN_OR_RETURN(QueryParams q,
                         QueryParams::make(args.query, {"partition", "from", "limit", "wait_ms", "format"}));
  EventsRequest r;
  TALLY_ASSIGN_OR_RETURN(r.from, start_of(q, args, partitions));
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> limit, q.uint("limit", 1, kMaxPageLimit));
  if (limit) r.limit = static_cast<size_t>(*limit);
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> wait, q.uint("wait_ms", 0, kMaxWaitTimeout.count()));
  r.wait = std::chrono::milliseconds(wait.value_or(0));
  TALLY_ASSIGN_OR_RETURN(r.sse, wants_sse(q, args.accept));
  return r;
}

// One SSE message per event: its `id:` is the cursor after it, the point a
// reconnect resumes from; `data:` is the event's JSON (one line).
Response sse_page(const EventPage& page) {
  Response r;
  r.content_type = kEventStreamType;
  r.body = "retry: " + std::to_string(kSseRetryMs) + "\n\n";
  for (size_t i = 0; i < page.events.size(); i++) {
    const EventCursor next =
        i + 1 < page.events.size() ? page.events[i + 1].position : page.next;
    r.body += "id: " + cursor_to_string(next) + "\ndata: " + json_text::serialize(event_to_json(page.events[i])) +
              "\n\n";
  }
  if (page.events.empty()) r.body += ": no new events yet\n\n";
  return r;
}

}  // namespace

Response get_events(Backend& backend, const RouteArgs& args) {
  Result<EventsRequest> req = events_request(args, backend.partition_count());
  if (!req.ok()) return error_response(req.status());
  Result<EventPage> page = backend.events(req->from.partition, req->from, req->limit, req->wait);
  if (!page.ok()) {
    // The cursor's record is gone from the log: the cursor has expired.
    if (page.status().code() == StatusCode::not_found) {
      return error_response(410, "cursor " + cursor_to_string(req->from) +
                                     " has expired: " + page.status().message());
    }
    return error_response(page.status());
  }
  Response r = req->sse ? sse_page(*page)
                        : json_response(200, event_page_to_json(req->from.partition, page->events, page->next));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Tally-Next-Cursor", cursor_to_string(page->next));
  return r;
}

}  // namespace tally::http
