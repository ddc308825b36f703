#include "engine/log/kafka_log.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/core/thread_annotations.h"
#include "engine/log/kafka_common.h"

namespace tally {
namespace {

using kafka::kafka_error;
using kafka::make_conf;

using Clock = std::chrono::steady_clock;

long long whole_seconds(Clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

// What the client reports on its own, through the error callback: served by
// rd_kafka_poll (the poller thread, or the open loop before it starts), and
// what the delivery reports say about the cluster's state.
// Lives as long as the producer handle.
struct ClientEvents {
  tally::Mutex mu;
  std::string last_error GUARDED_BY(mu);  // the latest one reported
  Clock::time_point last_at GUARDED_BY(mu);  // when
  // Reported by the client (all bootstrap brokers refused or dropped the
  // connection); cleared by the next acknowledged record.
  bool all_brokers_down GUARDED_BY(mu) = false;
  // Since when appends go unacknowledged: set by the first append after
  // an acknowledgement, cleared by the next acknowledgement.
  std::optional<Clock::time_point> unacked_since GUARDED_BY(mu);

  // " (last client error 3 s ago: ...)", or "" when there was none; the age
  // tells a stale error from the cause of the failure at hand.
  std::string describe_last() {
    tally::MutexLock lock(mu);
    return describe_last_locked();
  }
  std::string describe_last_locked() const REQUIRES(mu) {
    if (last_error.empty()) return "";
    return " (last client error " + std::to_string(whole_seconds(Clock::now() - last_at)) +
           " s ago: " + last_error + ")";
  }
  void note_sent(Clock::time_point now) {
    tally::MutexLock lock(mu);
    if (!unacked_since) unacked_since = now;
  }
  void note_acked() {
    tally::MutexLock lock(mu);
    unacked_since.reset();
    all_brokers_down = false;
  }
  // "no broker reachable at ADDR for 12 s" (the client reported every
  // broker down) or "no broker at ADDR acknowledged a record for 12 s",
  // with the client's last error.
  std::string broker_state(const std::string& bootstrap) {
    tally::MutexLock lock(mu);
    const long long for_s = unacked_since ? whole_seconds(Clock::now() - *unacked_since) : 0;
    const std::string what = all_brokers_down ? "no broker reachable at " + bootstrap
                                              : "no broker at " + bootstrap + " acknowledged a record";
    return what + " for " + std::to_string(for_s) + " s" + describe_last_locked();
  }
};

void on_client_error(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* events = static_cast<ClientEvents*>(opaque);
  tally::MutexLock lock(events->mu);
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    events->all_brokers_down = true;
    if (!events->last_error.empty()) return;  // keep the more specific reason
  }
  events->last_error = reason;
  events->last_at = Clock::now();
}

// One append call's records, waiting for their delivery reports. Shared
// with the delivery callbacks: an append that gives up at its deadline
// returns while its records are still with the client.
struct Delivery {
  explicit Delivery(size_t records) : offsets(records) {}
  tally::Mutex mu;
  std::condition_variable cv;
  size_t remaining GUARDED_BY(mu) = 0;
  std::vector<Offset> offsets GUARDED_BY(mu);
  Status status GUARDED_BY(mu);
};
// Each record's opaque: owned by librdkafka from producev until its report.
struct Slot {
  std::shared_ptr<Delivery> delivery;
  size_t index;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  std::unique_ptr<Slot> slot(static_cast<Slot*>(m->_private));
  auto* events = static_cast<ClientEvents*>(opaque);
  const bool ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  if (ok) events->note_acked();
  const std::string detail = ok ? "" : events->describe_last();
  Delivery& d = *slot->delivery;
  tally::MutexLock lock(d.mu);
  if (!ok) {
    if (d.status.ok()) {
      d.status = kafka_error(m->err, "delivering a record to partition " +
                                         std::to_string(m->partition), detail);
    }
  } else {
    d.offsets[slot->index] = Offset{static_cast<uint64_t>(m->offset)};
  }
  if (--d.remaining == 0) d.cv.notify_all();
}

// message.timeout.ms (or its alias delivery.timeout.ms) among the user's
// properties, else `fallback`.
std::chrono::milliseconds user_message_timeout(const KafkaLogOptions& o,
                                               std::chrono::milliseconds fallback) {
  for (const auto& [k, v] : o.properties) {
    if (k != "message.timeout.ms" && k != "delivery.timeout.ms") continue;
    char* end = nullptr;
    const long long ms = std::strtoll(v.c_str(), &end, 10);
    if (end != v.c_str() && *end == '\0' && ms > 0) fallback = std::chrono::milliseconds(ms);
  }
  return fallback;
}

class KafkaReader final : public LogReader {
 public:
  KafkaReader(rd_kafka_t* rk, std::string topic, Partition p, Offset from)
      : rk_(rk), topic_(std::move(topic)), p_(p), pos_(from) {}
  ~KafkaReader() override {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }

  Result<std::vector<LogRecord>> next(size_t max_records, std::chrono::milliseconds wait) override {
    std::vector<LogRecord> out;
    int timeout = static_cast<int>(wait.count());
    while (out.size() < max_records) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, timeout);
      if (m == nullptr) break;
      timeout = 0;  // after the first record take only what is already here
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        const rd_kafka_resp_err_t err = m->err;
        const std::string detail = rd_kafka_message_errstr(m);
        rd_kafka_message_destroy(m);
        if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        if (err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
            err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
          return Status::NotFound("partition " + std::to_string(p_.value) + " offset " +
                                  std::to_string(pos_.value) +
                                  " is no longer in the topic (retention removed it): " + detail);
        }
        if (!out.empty()) break;
        // Whatever the broker or the client reports (request errors, an
        // unknown leader, a lost connection) passes: the reader is made
        // again from the applied offset and retried (unavailable), never
        // a reason to stop the partition.
        const Status s = kafka_error(err, "reading partition " + std::to_string(p_.value) + ": " + detail);
        return s.retryable() ? s : Status::Unavailable(s.message());
      }
      LogRecord r;
      r.partition = Partition{static_cast<uint32_t>(m->partition)};
      r.offset = Offset{static_cast<uint64_t>(m->offset)};
      rd_kafka_timestamp_type_t type;
      const int64_t ms = rd_kafka_message_timestamp(m, &type);
      r.append_time = Timestamp{ms > 0 ? static_cast<uint64_t>(ms) * 1'000'000ull : 0};
      const auto* key = static_cast<const uint8_t*>(m->key);
      const auto* val = static_cast<const uint8_t*>(m->payload);
      if (key != nullptr) r.key.assign(key, key + m->key_len);
      if (val != nullptr) r.value.assign(val, val + m->len);
      rd_kafka_message_destroy(m);
      pos_ = r.offset.next();
      out.push_back(std::move(r));
    }
    return out;
  }
  Offset position() const override { return pos_; }

 private:
  rd_kafka_t* rk_;
  std::string topic_;
  Partition p_;
  Offset pos_;
};

class KafkaLog final : public Log {
 public:
  KafkaLog(KafkaLogOptions options, rd_kafka_t* producer, std::unique_ptr<ClientEvents> events,
           uint32_t partitions)
      : options_(std::move(options)),
        producer_(producer),
        events_(std::move(events)),
        partitions_(partitions) {
    poller_ = std::thread([this] {
      while (!stop_.load()) rd_kafka_poll(producer_, 50);
    });
  }
  ~KafkaLog() override {
    rd_kafka_flush(producer_, 10000);
    // What is still undelivered gets its report (and frees its slot) now.
    rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(producer_, 100);
    stop_ = true;
    poller_.join();
    rd_kafka_destroy(producer_);
  }

  uint32_t partition_count() const override { return partitions_; }
  size_t max_record_bytes() const override { return options_.max_record_bytes; }
  std::string describe() const override {
    return "kafka " + options_.bootstrap + " topic " + options_.topic;
  }

  Result<std::vector<Offset>> append(std::span<const AppendRequest> records) override {
    return append_by(records, Deadline::max());
  }

  Result<std::vector<Offset>> append_by(std::span<const AppendRequest> records,
                                        Deadline deadline) override {
    TALLY_RETURN_IF_ERROR(check_append(*this, records));
    const auto started = Clock::now();
    deadline = std::min(deadline, started + options_.append_timeout);
    auto d = std::make_shared<Delivery>(records.size());
    events_->note_sent(started);
    for (size_t i = 0; i < records.size(); i++) {
      const Status s = produce(records[i], d, i, deadline);
      if (!s.ok()) {
        tally::MutexLock lock(d->mu);
        d->status = s;
        break;
      }
    }
    tally::UniqueLock lock(d->mu);
    const bool done = d->cv.wait_until(lock.native(), deadline, [&]() REQUIRES(d->mu) { return d->remaining == 0; });
    if (!done || !d->status.ok()) return append_failure(d->status, started);
    return std::move(d->offsets);
  }

  Result<std::unique_ptr<LogReader>> read(Partition p, Offset from) override {
    TALLY_RETURN_IF_ERROR(check_partition(*this, p));
    TALLY_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                           make_conf(options_, {{"enable.auto.commit", "false"},
                                                {"enable.auto.offset.store", "false"},
                                                {"auto.offset.reset", "error"},
                                                {"enable.partition.eof", "false"},
                                                {"fetch.wait.max.ms", "10"},
                                                // What the consumer prefetches, bounded
                                                // (librdkafka's default is 64 MiB a reader):
                                                // 16 MiB is 16 full records ahead.
                                                {"queued.max.messages.kbytes", "16384"},
                                                {"group.id", "tally-reader"}}));
    char err[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (rk == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Status::InvalidArgument(std::string("creating a consumer: ") + err);
    }
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, options_.topic.c_str(), static_cast<int32_t>(p.value))
        ->offset = static_cast<int64_t>(from.value);
    const rd_kafka_resp_err_t e = rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_destroy(rk);
      return kafka_error(e, "assigning partition " + std::to_string(p.value));
    }
    return std::unique_ptr<LogReader>(new KafkaReader(rk, options_.topic, p, from));
  }

  // Through rd_kafka_offsets_for_times (timestamp -1: the end), which keeps
  // to its timeout: rd_kafka_query_watermark_offsets waits forever while the
  // partition's leader is down (librdkafka < 2.3.0, issue #2588), which
  // would hang /health and startup for as long as a broker is away.
  Result<Offset> end_offset(Partition p) override {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, options_.topic.c_str(), static_cast<int32_t>(p.value))
        ->offset = RD_KAFKA_OFFSET_END;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(
        producer_, list, static_cast<int>(options_.request_timeout.count()));
    int64_t end = 0;
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
      e = list->elems[0].err;
      end = list->elems[0].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return kafka_error(e, "reading the end offset of partition " + std::to_string(p.value));
    }
    return Offset{static_cast<uint64_t>(std::max<int64_t>(end, 0))};
  }

 private:
  // Hands one record to the client (copied: the append may return before
  // its delivery report). A full queue is retried until the deadline.
  Status produce(const AppendRequest& r, const std::shared_ptr<Delivery>& d, size_t index,
                 Deadline deadline) {
    auto slot = std::make_unique<Slot>(Slot{d, index});
    {
      tally::MutexLock lock(d->mu);
      d->remaining++;
    }
    rd_kafka_resp_err_t err;
    for (;;) {
      err = rd_kafka_producev(
          producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()),
          RD_KAFKA_V_PARTITION(static_cast<int32_t>(r.partition.value)),
          RD_KAFKA_V_KEY(const_cast<uint8_t*>(r.key.data()), r.key.size()),
          RD_KAFKA_V_VALUE(const_cast<uint8_t*>(r.value.data()), r.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(slot.get()), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || Clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the poller drains
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)slot.release();  // on_delivery frees it
      return Status::Ok();
    }
    tally::MutexLock lock(d->mu);
    d->remaining--;
    return kafka_error(err, "handing a record to the client");
  }

  // The answer of an append that failed (`delivery`) or whose deadline
  // passed (ok `delivery`): a log-side failure is `unavailable` with the
  // broker's state; a caller's mistake (a size limit) keeps its code.
  Status append_failure(const Status& delivery, Clock::time_point started) {
    const long long waited_ms = static_cast<long long>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    if (!delivery.ok() && !delivery.retryable() && delivery.code() != StatusCode::io_error) {
      return delivery.with_context("appending to " + describe());
    }
    const std::string why = delivery.ok()
                                ? "not acknowledged within " + std::to_string(waited_ms) + " ms"
                                : delivery.message();
    return Status::Unavailable("appending to " + describe() + ": " +
                               events_->broker_state(options_.bootstrap) + "; " + why);
  }

  const KafkaLogOptions options_;
  rd_kafka_t* producer_;
  std::unique_ptr<ClientEvents> events_;  // the producer's callbacks point here
  const uint32_t partitions_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

// The topic's partition count from the cluster's metadata. It asks for all
// topics rather than this one: a request naming a missing topic lets a
// broker with auto.create.topics.enable create it with the broker's default
// partition count, and a typo in --topic must not create a ledger's log.
// Gives up early once the client reports every broker down (connection
// refused, unknown host): waiting longer would not change the answer.
Result<uint32_t> topic_partitions(rd_kafka_t* rk, ClientEvents& events, const KafkaLogOptions& o) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + o.metadata_timeout;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
  bool all_down = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    const auto step = std::min(left, std::chrono::milliseconds(250));
    e = rd_kafka_metadata(rk, 1, nullptr, &md, static_cast<int>(step.count()));
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
    rd_kafka_poll(rk, 0);  // serves the error callback
    tally::MutexLock lock(events.mu);
    all_down = events.all_brokers_down;
    if (all_down) break;
  }
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const std::string why = all_down ? " (every bootstrap broker is down)"
                                     : " within " + std::to_string(o.metadata_timeout.count()) +
                                           " ms";
    return Status::Unavailable("cannot reach Kafka at " + o.bootstrap + why + ": " +
                               rd_kafka_err2str(e) + events.describe_last());
  }
  Result<uint32_t> out = Status::NotFound("topic " + o.topic + " does not exist at " + o.bootstrap);
  for (int i = 0; i < md->topic_cnt; i++) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    if (o.topic != t.topic) continue;
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      out = kafka_error(t.err, "reading the metadata of topic " + o.topic);
    } else if (t.partition_cnt <= 0) {
      out = Status::Unavailable("topic " + o.topic + " has no partitions yet");
    } else {
      out = static_cast<uint32_t>(t.partition_cnt);
    }
  }
  rd_kafka_metadata_destroy(md);
  return out;
}

}  // namespace

Result<std::unique_ptr<Log>> open_kafka_log(const KafkaLogOptions& options) {
  if (options.bootstrap.empty()) return Status::InvalidArgument("no Kafka bootstrap servers given");
  KafkaLogOptions o = options;
  o.append_timeout = user_message_timeout(options, options.append_timeout);
  TALLY_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                         make_conf(o, {{"enable.idempotence", "true"},
                                             {"message.timeout.ms", std::to_string(o.append_timeout.count())},
                                             {"acks", "all"},
                                             {"partitioner", "murmur2_random"},
                                             {"linger.ms", "1"},
                                             {"message.max.bytes", "2000000"},
                                             {"allow.auto.create.topics", "false"}}));
  auto events = std::make_unique<ClientEvents>();
  rd_kafka_conf_set_opaque(conf, events.get());
  rd_kafka_conf_set_error_cb(conf, on_client_error);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("creating a producer: ") + err);
  }
  auto partitions = topic_partitions(rk, *events, o);
  if (!partitions.ok()) {
    rd_kafka_destroy(rk);
    return partitions.status();
  }
  {
    tally::MutexLock lock(events->mu);
    events->all_brokers_down = false;
  }
  return std::unique_ptr<Log>(new KafkaLog(std::move(o), rk, std::move(events), *partitions));
}

}  // namespace tally
