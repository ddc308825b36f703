// EventPublisher: the change stream published to a Kafka topic (default
// tally.events; docs/events.md "On Kafka"). For each partition the node
// owns it reads the events from its stored progress (the "V" key of the
// partition's store, projections/records.h), appends them to the events
// topic's partition of the same number (engine/node/event_codec.h), and
// only once the cluster acknowledged them moves the progress past them.
//
// So an event is published if and only if its command was applied (the
// events are derived from the applied records), in log order per
// partition, and at least once: after a crash between the append and the
// progress write the same events are published again, with the same
// cursors and the same bytes, and a consumer dedupes by cursor.
//
// Thread-safe: start() and stop() from one thread; stats() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <string>
#include <thread>

#include "engine/core/thread_annotations.h"
#include "engine/node/node.h"
#include "projections/change_events.h"

namespace tally {

struct EventPublisherOptions {
  size_t max_events_per_append = 1000;
  std::chrono::milliseconds idle_wait{50};      // a pass that found nothing to publish
  std::chrono::milliseconds append_timeout{10000};
  std::chrono::milliseconds max_backoff{5000};  // after failed appends, doubling from idle_wait
};

struct EventPublisherStats {
  uint64_t published = 0;  // events acknowledged by the cluster since start
  uint64_t failures = 0;   // appends or progress writes that failed
  std::string last_error;  // empty when the last attempt succeeded
};

// The progress value of the "V" key.
std::string encode_publish_progress(const EventCursor& next);
Result<EventCursor> decode_publish_progress(Partition p, std::string_view value);

class EventPublisher {
 public:
  // REQUIRES: events_log has the node's partition count; both outlive stop().
  EventPublisher(Node& node, std::unique_ptr<Log> events_log, EventPublisherOptions options = {});
  ~EventPublisher();
  EventPublisher(const EventPublisher&) = delete;
  EventPublisher& operator=(const EventPublisher&) = delete;

  void start();
  void stop();
  // One pass over partition p: publishes up to max_events_per_append events
  // from its progress; returns how many. For start()'s thread and tests.
  Result<size_t> publish_once(Partition p);
  EventPublisherStats stats() const;
  // Prometheus lines (tally_events_published_total, ..._failures_total).
  std::string metrics_text() const;

 private:
  void run();

  Node& node_;
  std::unique_ptr<Log> log_;
  const EventPublisherOptions options_;
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> failures_{0};
  mutable Mutex mu_;
  std::string last_error_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace tally
