#include "recovery/relay.h"

#include <algorithm>
#include <cassert>
#include <map>

#include "engine/core/bytes.h"
#include "engine/core/crash_point.h"
#include "engine/core/logging.h"
#include "engine/core/clock.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/pack.h"

namespace tally {

namespace {
constexpr char kProgressVersion = 1;
}  // namespace

std::string encode_relay_progress(uint64_t next_seq) {
  std::string v(9, '\0');
  v[0] = kProgressVersion;
  put_le64(v.data() + 1, next_seq);
  return v;
}

Result<uint64_t> decode_relay_progress(std::string_view value) {
  if (value.size() != 9 || value[0] != kProgressVersion) {
    return Status::Corruption("relay progress has " + std::to_string(value.size()) +
                              " bytes or an unknown version; expected 9 bytes of version 1");
  }
  return get_le64(value.data() + 1);
}

// One partition's relay state. Everything is GUARDED_BY(mu).
struct OutboxRelay::Work {
  explicit Work(uint64_t seed) : jitter(seed) {}
  mutable tally::Mutex mu;
  Jitter jitter;
  bool loaded = false;     // next_seq read from "R"
  uint64_t next_seq = 0;
  std::atomic<uint64_t> published_next_seq{~uint64_t{0}};  // next_seq for lock-free readers; max until loaded
  bool dirty = true;       // there may be entries to relay
  uint32_t failures = 0;   // consecutive failed attempts
  Timestamp retry_at;
  Timestamp first_failure;
  Timestamp stuck_since;   // 0 unless stuck
  Status error;
  std::vector<StuckOperation> stuck;  // listed, at most max_stuck_listed
  uint64_t stuck_count = 0;
  // This round's: the entries read for its append, the error that ended
  // the read (they are still sent), what it did and how it ended.
  std::vector<OutboxEntry> staged;
  Status staged_bad;
  RelayTickReport report;
  Status result;
};

OutboxRelay::OutboxRelay(RelayDeps deps, RelayOptions options)
    : deps_([&] {
        if (!deps.clock) deps.clock = system_now;
        return std::move(deps);
      }()),
      options_(options),
      loop_(make_work(deps_.stores.size(), options_), deps_.clock, deps_.serves, options_.max_sleep) {
  assert(deps_.log != nullptr && deps_.stores.size() == deps_.log->partition_count());
}

std::vector<std::unique_ptr<OutboxRelay::Work>> OutboxRelay::make_work(size_t partitions,
                                                                      const RelayOptions& o) {
  std::vector<std::unique_ptr<Work>> out;
  std::random_device rd;
  for (uint32_t p = 0; p < partitions; p++) {
    out.push_back(std::make_unique<Work>(o.jitter_seed != 0 ? o.jitter_seed + p : rd()));
  }
  return out;
}

OutboxRelay::~OutboxRelay() { stop(); }

PartitionLoop<OutboxRelay::Work>::Hooks OutboxRelay::hooks() {
  return {.mark = [](uint32_t, Work& w) { w.dirty = true; },
          .step = [this](uint32_t p, Work& w, Timestamp now) {
            // Staged: the round's append decides when it is next due.
            return stage_locked(p, w, now) ? plus(now, options_.max_sleep) : next_wake_locked(w, now);
          },
          .finish = [this](Timestamp now) { return send_round(now); }};
}

void OutboxRelay::start() { loop_.start(hooks()); }

void OutboxRelay::stop() { loop_.stop(); }

void OutboxRelay::wake(Partition partition) { loop_.wake(partition); }

void OutboxRelay::wait_idle(Partition partition) { loop_.wait_idle(partition); }

bool OutboxRelay::serves(uint32_t p) const { return loop_.serves(p); }

Result<RelayTickReport> OutboxRelay::tick(Partition partition) {
  loop_.mark_woken([](uint32_t, Work& w) { w.dirty = true; });
  Work& w = loop_.at(partition.value);
  tally::MutexLock lock(w.mu);
  const Timestamp now = deps_.clock();
  if (stage_locked(partition.value, w, now)) send_staged({partition.value}, now);
  if (!w.result.ok()) return w.result;
  return w.report;
}

void OutboxRelay::failed(uint32_t p, Work& w, const Status& error,
                         const std::vector<OutboxEntry>& entries, Timestamp now) {
  if (w.failures == 0) w.first_failure = now;
  w.failures++;
  w.error = error;
  w.retry_at = plus(now, backoff_delay(options_.backoff, w.failures, w.jitter.next()));
  if (w.failures < options_.backoff.max_attempts) return;
  if (w.stuck_since.ns == 0) {
    w.stuck_since = now;
    logging::warn("relay", "partition {}: outbox stuck after {} attempts ({} entries; GET /v1/stuck lists them): {}",
                  p, w.failures, std::max<size_t>(entries.size(), 1), error.to_string());
  }
  w.stuck.clear();
  auto add = [&](uint64_t seq, std::optional<Partition> target, u128 id) {
    StuckOperation op;
    op.kind = "outbox";
    op.partition = Partition{p};
    op.id = id;
    op.seq = seq;
    op.target = target;
    op.attempts = w.failures;
    op.last_error = error.to_string();
    op.first_attempt = w.first_failure;
    op.stuck_since = w.stuck_since;
    w.stuck.push_back(std::move(op));
  };
  for (const OutboxEntry& e : entries) {
    if (w.stuck.size() >= options_.max_stuck_listed) break;
    add(e.seq, e.target, command_subject(e.command));
  }
  if (entries.empty()) add(w.next_seq, std::nullopt, 0);  // unreadable: the head entry
  w.stuck_count = std::max<uint64_t>(entries.size(), 1);
}

Status OutboxRelay::load_progress(PartitionStore& store, Work& w) {
  if (w.loaded) return Status::Ok();
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> progress, store.get(keys::kRelay));
  uint64_t next = 0;
  if (progress) {
    TALLY_ASSIGN_OR_RETURN(next, decode_relay_progress(*progress));
  }
  w.next_seq = next;
  w.published_next_seq = next;
  w.loaded = true;
  store.outbox_delivered_below(next);
  return Status::Ok();
}

// Entries from w.next_seq in seq order, at most max_entries_per_tick. A key
// holds the entries of one commit under the seq of its last, so the first
// key at or after next_seq may begin with entries already delivered: they
// are skipped. An entry that cannot be decoded or names no partition ends
// the list and is reported in `bad` (the entries before it are still
// relayed).
Status OutboxRelay::read_entries(uint32_t p, const Work& w, std::vector<OutboxEntry>& entries,
                                 Status& bad) const {
  const size_t max = options_.max_entries_per_tick;
  auto read = deps_.stores[p]->scan(
      keys::outbox(w.next_seq), keys::kRelay, false, max,
      [&](std::string_view, std::string_view value) {
        auto decoded = decode_outbox_entries(value);
        if (!decoded.ok()) {
          bad = decoded.status().with_context("outbox of partition " + std::to_string(p));
          return false;
        }
        for (OutboxEntry& e : *decoded) {
          if (e.seq < w.next_seq) continue;
          if (e.target.value >= deps_.log->partition_count()) {
            bad = Status::Corruption("outbox entry " + std::to_string(e.seq) + " of partition " +
                                     std::to_string(p) + " targets partition " +
                                     std::to_string(e.target.value) + ", which does not exist");
            return false;
          }
          entries.push_back(std::move(e));
          if (entries.size() >= max) return false;
        }
        return true;
      });
  return read.status();
}

// Groups the staged entries of `sources` by target (in source order, and in
// seq order within each source) and appends them all in one call: a target
// gets one record (or a few, at the record limits) from all the sources of
// the round. Returns the number of records.
Result<size_t> OutboxRelay::append_entries(const std::vector<uint32_t>& sources) {
  std::map<uint32_t, std::vector<Command>> by_target;
  for (uint32_t p : sources) {
    for (const OutboxEntry& e : loop_.at(p).staged) by_target[e.target.value].push_back(e.command);
  }
  std::vector<PackedRecord> records;
  for (const auto& [target, commands] : by_target) {
    for (PackedRecord& r : pack_records(Partition{target}, commands, deps_.log->max_record_bytes())) {
      records.push_back(std::move(r));
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto appended = deps_.log->append(append_requests(records));
  append_micros_ += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
  TALLY_ASSIGN_OR_RETURN(std::vector<Offset> offsets, std::move(appended));
  if (deps_.in_flight != nullptr) {
    for (size_t r = 0; r < records.size(); r++) {
      deps_.in_flight->appended(records[r].partition, offsets[r], records[r].commands.size());
    }
  }
  return records.size();
}

// Reads what partition p has to relay into w.staged for this round's
// append; returns whether it staged anything. Sets w.report and w.result.
bool OutboxRelay::stage_locked(uint32_t p, Work& w, Timestamp now) {
  w.report = {};
  w.result = Status::Ok();
  w.staged.clear();
  w.staged_bad = Status::Ok();
  PartitionStore& store = *deps_.stores[p];
  if (w.failures > 0 && now < w.retry_at) return false;
  auto fail = [&](const Status& s) {
    failed(p, w, s, {}, now);
    w.result = s;
    return false;
  };
  if (Status s = load_progress(store, w); !s.ok()) return fail(s);
  if (!w.dirty && w.failures == 0) return false;

  // 1. Read entries in seq order.
  Status bad;
  if (Status s = read_entries(p, w, w.staged, bad); !s.ok()) {
    w.staged.clear();
    return fail(s);
  }
  w.report.read = w.staged.size();
  if (w.staged.empty()) {
    if (!bad.ok()) return fail(bad);
    w.dirty = false;
    return false;
  }
  w.staged_bad = bad;
  return true;
}

// The round's append: every partition that staged entries, in one call.
Timestamp OutboxRelay::send_round(Timestamp now) {
  std::vector<uint32_t> sources;
  for (uint32_t p = 0; p < loop_.size(); p++) {
    if (!loop_.at(p).staged.empty()) sources.push_back(p);
  }
  Timestamp wake = plus(now, options_.max_sleep);
  if (sources.empty()) return wake;
  send_staged(sources, now);
  for (uint32_t p : sources) wake = std::min(wake, next_wake_locked(loop_.at(p), now));
  return wake;
}

// 2. Appends the staged entries of `sources` (each one's mu held), and
// 3. records each one's progress.
void OutboxRelay::send_staged(const std::vector<uint32_t>& sources, Timestamp now) {
  crash_point("relay.before_append");  // read, not yet sent: sent after a restart
  Result<size_t> records = append_entries(sources);
  if (!records.ok()) {
    append_failures_++;
    for (uint32_t p : sources) {
      Work& w = loop_.at(p);
      w.report.failed = true;
      failed(p, w, records.status(), w.staged, now);
      w.staged.clear();
    }
    return;
  }
  crash_point("relay.after_append");  // delivered, not yet removed: re-sent after a restart
  appends_++;
  for (uint32_t p : sources) {
    Work& w = loop_.at(p);
    w.report.records = *records;
    delivered_locked(p, w);
  }
}

// The progress after w.staged was appended. The entries below it are not
// deleted one by one: the store's flushes and compactions drop them (relay.h).
void OutboxRelay::delivered_locked(uint32_t p, Work& w) {
  PartitionStore& store = *deps_.stores[p];
  StoreBatch batch;
  const uint64_t next = w.staged.back().seq + 1;
  batch.put(keys::kRelay, encode_relay_progress(next));
  const Status removed = store.commit_logged(batch);  // survives a kill -9 (relay.h)
  // Delivered either way; a lost progress write only means a re-send later.
  store.outbox_delivered_below(next);
  w.next_seq = next;
  w.published_next_seq = next;
  if (w.stuck_since.ns != 0) logging::info("relay", "partition {}: outbox no longer stuck", p);
  w.failures = 0;
  w.error = Status::Ok();
  w.stuck.clear();
  w.stuck_count = 0;
  w.stuck_since = Timestamp{};
  w.dirty = !w.staged_bad.ok() || w.staged.size() >= options_.max_entries_per_tick;
  w.report.relayed = w.staged.size();
  relayed_ += w.staged.size();
  w.staged.clear();
  if (!removed.ok()) w.result = removed.with_context("removing relayed outbox entries");
}

Timestamp OutboxRelay::next_wake_locked(const Work& w, Timestamp now) const {
  Timestamp wake = plus(now, options_.max_sleep);
  if (w.failures > 0) return std::min(wake, w.retry_at);
  if (w.dirty) return now;
  return wake;
}

std::vector<StuckOperation> OutboxRelay::stuck(size_t limit) const {
  std::vector<StuckOperation> out;
  for (uint32_t p = 0; p < loop_.size(); p++) {
    if (!serves(p)) continue;
    const Work& w = loop_.at(p);
    tally::MutexLock lock(w.mu);
    for (const StuckOperation& op : w.stuck) {
      if (out.size() >= limit) return out;
      out.push_back(op);
    }
  }
  return out;
}

uint64_t OutboxRelay::relayed_below(Partition partition) const {
  return loop_.at(partition.value).published_next_seq.load();
}

uint64_t OutboxRelay::next_seq(Partition partition) const {
  Work& w = loop_.at(partition.value);
  tally::MutexLock lock(w.mu);
  return w.next_seq;
}

RelayStats OutboxRelay::stats() const {
  RelayStats s;
  s.relayed = relayed_;
  s.appends = appends_;
  s.append_failures = append_failures_;
  s.append_micros = append_micros_;
  for (uint32_t p = 0; p < loop_.size(); p++) {
    if (!serves(p)) continue;
    {
      const Work& w = loop_.at(p);
      tally::MutexLock lock(w.mu);  // also keeps deps_.stores[p] from switching
      const uint64_t next = w.next_seq;
      s.stuck += w.stuck_count;
      if (!w.error.ok()) s.error = w.error;
      auto meta = deps_.stores[p]->meta();
      if (meta.ok() && meta->next_outbox_seq > next) s.pending += meta->next_outbox_seq - next;
    }
  }
  return s;
}

Result<uint64_t> OutboxRelay::progress(Partition partition) {
  Work& w = loop_.at(partition.value);
  tally::MutexLock lock(w.mu);
  TALLY_RETURN_IF_ERROR(load_progress(*deps_.stores[partition.value], w));
  return w.next_seq;
}

Result<uint64_t> OutboxRelay::switch_store(Partition partition, PartitionStore& store,
                                           uint64_t removed_below) {
  Work& w = loop_.at(partition.value);
  tally::MutexLock lock(w.mu);
  TALLY_RETURN_IF_ERROR(load_progress(*deps_.stores[partition.value], w));
  TALLY_ASSIGN_OR_RETURN(uint64_t removed,
                         drop_delivered(store, std::min(removed_below, w.next_seq), w.next_seq));
  store.outbox_delivered_below(w.next_seq);
  deps_.stores[partition.value] = &store;
  w.dirty = true;
  return removed;
}

Result<uint64_t> drop_delivered(PartitionStore& store, uint64_t from, uint64_t to) {
  StoreBatch batch;
  uint64_t removed = 0;
  if (from < to) {
    // The keys whose last entry is in [from, to): each holds only entries
    // below `to`; a key holding entries on both sides of `to` stays.
    Status bad;
    TALLY_RETURN_IF_ERROR(store.scan(keys::outbox(from), keys::outbox(to), false, 0,
                                     [&](std::string_view key, std::string_view value) {
                                       auto entries = decode_outbox_entries(value);
                                       if (!entries.ok()) {
                                         bad = entries.status();
                                         return false;
                                       }
                                       for (const OutboxEntry& e : *entries) removed += e.seq >= from;
                                       batch.remove(std::string(key));
                                       return true;
                                     }).status());
    TALLY_RETURN_IF_ERROR(bad.with_context("removing delivered outbox entries"));
  }
  batch.put(keys::kRelay, encode_relay_progress(to));
  TALLY_RETURN_IF_ERROR(store.commit_logged(batch).with_context("removing delivered outbox entries"));
  return removed;
}

}  // namespace tally
