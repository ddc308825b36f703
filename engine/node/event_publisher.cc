#include "engine/node/event_publisher.h"

#include <algorithm>

#include "engine/core/crash_point.h"
#include "engine/core/logging.h"
#include "engine/node/event_codec.h"
#include "engine/node/event_feed.h"

namespace tally {

std::string encode_publish_progress(const EventCursor& next) {
  std::string out(1, '\1');
  for (int i = 0; i < 8; i++) out.push_back(static_cast<char>(next.offset.value >> (8 * i)));
  for (int i = 0; i < 4; i++) out.push_back(static_cast<char>(next.index >> (8 * i)));
  return out;
}

Result<EventCursor> decode_publish_progress(Partition p, std::string_view v) {
  if (v.size() != 13 || v[0] != '\1') {
    return Status::Corruption("the event publisher's progress of partition " + std::to_string(p.value) + " has " +
                              std::to_string(v.size()) + " bytes, not version 1's 13");
  }
  EventCursor c{p, Offset{0}, 0};
  for (int i = 0; i < 8; i++) c.offset.value |= uint64_t{static_cast<uint8_t>(v[1 + i])} << (8 * i);
  for (int i = 0; i < 4; i++) c.index |= uint32_t{static_cast<uint8_t>(v[9 + i])} << (8 * i);
  return c;
}

EventPublisher::EventPublisher(Node& node, std::unique_ptr<Log> events_log, EventPublisherOptions options)
    : node_(node), log_(std::move(events_log)), options_(options) {}

EventPublisher::~EventPublisher() { stop(); }

void EventPublisher::start() {
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void EventPublisher::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<size_t> EventPublisher::publish_once(Partition p) {
  const std::shared_ptr<const PartitionStore> store = node_.store_ref(p);
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> saved, store->get(keys::kEventsPublished));
  EventCursor from{p, Offset{0}, 0};
  if (saved) {
    TALLY_ASSIGN_OR_RETURN(from, decode_publish_progress(p, *saved));
  }
  TALLY_ASSIGN_OR_RETURN(EventPage page, read_events(node_.log(), *store, node_.pipeline(p).applied(), from,
                                                     options_.max_events_per_append));
  if (page.events.empty()) return size_t{0};
  std::vector<std::vector<uint8_t>> values;
  std::vector<std::string> keys;
  values.reserve(page.events.size());
  keys.reserve(page.events.size());
  std::vector<AppendRequest> requests;
  requests.reserve(page.events.size());
  for (const ChangeEvent& e : page.events) {
    values.push_back(encode_event(e));
    keys.push_back(event_key(e));
  }
  for (size_t i = 0; i < values.size(); i++) {
    requests.push_back(AppendRequest{p, std::span(reinterpret_cast<const uint8_t*>(keys[i].data()), keys[i].size()),
                                     values[i]});
  }
  TALLY_ASSIGN_OR_RETURN(std::vector<Offset> offsets,
                         log_->append_by(requests, std::chrono::steady_clock::now() + options_.append_timeout));
  (void)offsets;
  crash_point("events.after_append");  // published, progress not saved: published again after a restart
  TALLY_RETURN_IF_ERROR(node_.put_operational(p, keys::kEventsPublished, encode_publish_progress(page.next)));
  published_ += page.events.size();
  return page.events.size();
}

void EventPublisher::run() {
  std::chrono::milliseconds backoff = options_.idle_wait;
  for (;;) {
    size_t published = 0;
    bool failed = false;
    for (uint32_t i = 0; i < node_.partition_count(); i++) {
      const Partition p{i};
      if (!node_.owns(p)) continue;
      Result<size_t> n = publish_once(p);
      if (n.ok()) {
        published += *n;
        continue;
      }
      failed = true;
      failures_++;
      logging::warn("events", "publishing partition {}'s events to {}: {}", i, log_->describe(),
                    n.status().message());
      MutexLock lock(mu_);
      last_error_ = n.status().message();
    }
    if (!failed) {
      MutexLock lock(mu_);
      last_error_.clear();
    }
    backoff = failed ? std::min(backoff * 2, options_.max_backoff) : options_.idle_wait;
    UniqueLock lock(mu_);
    if (stopping_) return;
    if (published > 0 && !failed) continue;
    wake_.wait_for(lock.native(), backoff, [this]() REQUIRES(mu_) { return stopping_; });
    if (stopping_) return;
  }
}

EventPublisherStats EventPublisher::stats() const {
  MutexLock lock(mu_);
  return EventPublisherStats{published_.load(), failures_.load(), last_error_};
}

std::string EventPublisher::metrics_text() const {
  return "# HELP tally_events_published_total Change-stream events the events topic acknowledged.\n"
         "# TYPE tally_events_published_total counter\n"
         "tally_events_published_total " + std::to_string(published_.load()) + "\n" +
         "# HELP tally_events_publish_failures_total Failed appends to the events topic (retried).\n"
         "# TYPE tally_events_publish_failures_total counter\n"
         "tally_events_publish_failures_total " + std::to_string(failures_.load()) + "\n";
}

}  // namespace tally
