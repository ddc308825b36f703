#include "engine/node/pipeline.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <pthread.h>

#include "engine/core/codec.h"
#include "engine/core/crash_point.h"
#include "engine/core/digest.h"
#include "engine/core/thread_annotations.h"
#include "recovery/backoff.h"
#include "recovery/relay.h"

namespace tally {

namespace {
constexpr uint64_t kQuarantineMark = 0x0BAD'0BAD'0BAD'0BADull;

uint64_t micros_since(std::chrono::steady_clock::time_point t0) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - t0)
                                   .count());
}
}  // namespace

PartitionPipeline::PartitionPipeline(Partition partition, Log& log, PartitionStore& store,
                                     CommandExtension* extension, PipelineOptions options)
    : partition_(partition),
      log_(log),
      store_(&store),
      extension_(extension),
      options_(std::move(options)),
      state_(partition, log.partition_count()) {
  if (options_.account_table_slots > 0) table_ = std::make_unique<AccountTable>(options_.account_table_slots);
}

PartitionPipeline::~PartitionPipeline() = default;

Status PartitionPipeline::recover() {
  state_.reset();
  if (table_) table_->clear();  // what it held may be ahead of what the store is now
  reader_stale_ = false;
  {
    tally::MutexLock lock(mu_);
    fatal_ = Status::Ok();
    transient_ = Status::Ok();
  }
  TALLY_ASSIGN_OR_RETURN(meta_, store_->meta());
  flushed_offset_ = meta_.next_offset.value;
  replay_end_ = 0;
  caught_up_ = true;  // until note_replay_end() names a replay to save
  TALLY_RETURN_IF_ERROR(store_->load(state_));
  // The relay's progress survives a crash that rolls the rest of the store
  // back (it is written through the WAL): the entries below it were
  // delivered, so replaying the records that staged them must not stage
  // them again.
  TALLY_ASSIGN_OR_RETURN(std::optional<std::string> relayed, store_->get(keys::kRelay));
  uint64_t floor = 0;
  if (relayed) {
    TALLY_ASSIGN_OR_RETURN(floor, decode_relay_progress(*relayed));
  }
  batch_.set_outbox_floor(floor);
  TALLY_ASSIGN_OR_RETURN(reader_, log_.read(partition_, meta_.next_offset));
  metrics_.applied_next_offset = meta_.next_offset.value;
  metrics_.outbox_next_seq = meta_.next_outbox_seq;
  metrics_.commands_applied = meta_.commands_applied;
  metrics_.records_quarantined = meta_.records_quarantined;
  tally::MutexLock lock(mu_);
  digest_published_ = meta_.digest;
  return Status::Ok();
}

void PartitionPipeline::release() {
  state_.reset();
  reader_.reset();
  batch_.clear();
  decoded_ = Decoded{};
}

void PartitionPipeline::set_limit(const ApplyLimit& limit) {
  limit_ = limit;
  time_limit_reached_ = false;
}

bool PartitionPipeline::at_limit() const {
  return time_limit_reached_ || meta_.next_offset >= limit_.end;
}

Result<size_t> PartitionPipeline::step(std::chrono::milliseconds wait) {
  if (at_limit()) return size_t{0};
  if (reader_stale_) {
    TALLY_ASSIGN_OR_RETURN(reader_, log_.read(partition_, meta_.next_offset));
    reader_stale_ = false;
  }
  const uint64_t room = limit_.end.value - meta_.next_offset.value;
  const size_t fit = std::max<size_t>(1, options_.max_bytes_per_step / std::max<size_t>(record_bytes_, 1));
  const size_t max = static_cast<size_t>(std::min<uint64_t>(std::min(options_.max_records_per_step, fit), room));
  TALLY_ASSIGN_OR_RETURN(std::vector<LogRecord> records, reader_->next(max, wait));
  if (records.empty()) return size_t{0};
  size_t bytes = 0;
  for (const LogRecord& r : records) bytes = std::max(bytes, r.value.size());
  record_bytes_ = bytes;  // the largest of this step's: the next step's unit
  TALLY_RETURN_IF_ERROR(apply_records(records));
  return records.size();
}

void PartitionPipeline::Decoded::resize(size_t n) {
  commands.resize(n);
  good.resize(n, false);
  reasons.resize(n);
}

void PartitionPipeline::decode_records(const std::vector<LogRecord>& records, Decoded& out) const {
  out.resize(records.size());
  for (size_t i = 0; i < records.size(); i++) {
    // Into the vectors of the previous step: no allocation once they have grown.
    const Status s = decode_batch_into(records[i].value, out.commands[i]);
    out.good[i] = s.ok();
    if (s.ok()) {
      out.reasons[i].clear();
    } else {
      out.commands[i].clear();
      out.reasons[i] = s.message();
    }
  }
}

size_t PartitionPipeline::records_within_time(const std::vector<LogRecord>& records,
                                              const Decoded& decoded) const {
  if (limit_.until.ns == ~uint64_t{0}) return records.size();
  // The ledger's clock as apply_record will move it: each command gets
  // max(previous + 1, append time), so a record's last command gets
  // max(clock + 1, append time) + commands - 1.
  uint64_t clock = state_.last_timestamp().ns;
  for (size_t i = 0; i < records.size(); i++) {
    const uint64_t append = records[i].append_time.ns;
    const size_t n = decoded.good[i] ? decoded.commands[i].size() : 0;
    if (n == 0) {
      if (append > limit_.until.ns) return i;
      continue;
    }
    const uint64_t last = std::max(clock + 1, append) + (n - 1);
    if (last > limit_.until.ns) return i;
    clock = last;
  }
  return records.size();
}

Status PartitionPipeline::prefetch(const Decoded& decoded) {
  std::vector<TransferId> transfers, sagas;
  std::vector<std::pair<Partition, TransferId>> legs;
  for (size_t i = 0; i < decoded.commands.size(); i++) {
    if (!decoded.good[i]) continue;
    referenced_transfers(decoded.commands[i], transfers);
    for (const Command& c : decoded.commands[i]) {
      if (auto* r = std::get_if<SagaReply>(&c)) sagas.push_back(r->saga_id);
      if (auto* t = std::get_if<SagaTimeout>(&c)) sagas.push_back(t->saga_id);
      if (auto* k = std::get_if<SagaCredit>(&c)) legs.emplace_back(k->source_partition, k->saga_id);
      if (auto* x = std::get_if<SagaCancel>(&c)) legs.emplace_back(x->source_partition, x->saga_id);
    }
  }
  TALLY_RETURN_IF_ERROR(store_->prefetch_transfers(transfers, state_));
  TALLY_RETURN_IF_ERROR(store_->prefetch_sagas(sagas, state_));
  return store_->prefetch_legs(legs, state_);
}

void PartitionPipeline::digest_record(const LogRecord& record, const std::vector<Command>& commands,
                                      const RecordOutcome& outcome) {
  Digest d(meta_.digest);
  d.add(record.offset.value);
  for (size_t i = 0; i < commands.size(); i++) {
    d.add(static_cast<uint64_t>(commands[i].index()));
    d.add(command_subject(commands[i]));
    d.add(static_cast<uint64_t>(outcome.outcomes[i]));
  }
  for (AccountId id : state_.changes().accounts) {
    const Account* a = state_.find_account(id);
    if (a == nullptr) continue;
    d.add(id.value());
    d.add(a->balances.debits_pending);
    d.add(a->balances.debits_posted);
    d.add(a->balances.credits_pending);
    d.add(a->balances.credits_posted);
  }
  meta_.digest = d.state();
}

Status PartitionPipeline::apply_records(std::vector<LogRecord>& records) {
  assert(!records.empty());  // step() returns before an empty read
  const auto started = std::chrono::steady_clock::now();
  Decoded& decoded = decoded_;
  decode_records(records, decoded);
  const size_t within = records_within_time(records, decoded);
  if (within < records.size()) {
    time_limit_reached_ = reader_stale_ = true;
    records.resize(within);
    decoded.resize(within);
    if (within == 0) return Status::Ok();
  }
  TALLY_RETURN_IF_ERROR(prefetch(decoded));
  // Records arrive in offset order from where the store left off (a log may
  // skip offsets, e.g. Kafka's transaction markers, so not always +1).
  assert(records.front().offset >= meta_.next_offset);
  assert(decoded.commands.size() == records.size());
  batch_.clear();
  rejected_.clear();
  to_publish_.clear();
  uint64_t commands = 0;
  const bool effects = stage_records(records, decoded, commands);
  // The step commits exactly through its last record.
  assert(meta_.next_offset == records.back().offset.next());
  return commit(records.size(), commands, effects, started);
}

bool PartitionPipeline::stage_records(const std::vector<LogRecord>& records,
                                      const Decoded& decoded, uint64_t& commands) {
  bool effects = false;
  for (size_t i = 0; i < records.size(); i++) {
    const LogRecord& r = records[i];
    assert(i == 0 || records[i - 1].offset < r.offset);  // strictly ascending
    if (!decoded.good[i]) {
      batch_.stage_quarantine(
          {r.offset, decoded.reasons[i], std::string(r.value.begin(), r.value.end())});
      Digest d(meta_.digest);
      d.add(r.offset.value);
      d.add(kQuarantineMark);
      meta_.digest = d.state();
      meta_.records_quarantined++;
      metrics_.records_quarantined++;
      rejected_.emplace_back(r.offset, "quarantined: " + decoded.reasons[i]);
    } else {
      apply_record(state_, decoded.commands[i], r.append_time, extension_, outcome_);
      // One outcome and one timestamp per command (apply_record's contract).
      assert(outcome_.outcomes.size() == decoded.commands[i].size());
      assert(outcome_.timestamps.size() == decoded.commands[i].size());
      const Timestamp first = outcome_.timestamps.empty() ? Timestamp{} : outcome_.timestamps[0];
      batch_.stage_outcomes(r.offset, OffsetOutcomes{first, outcome_.outcomes});
      batch_.stage_changes(state_);
      digest_record(r, decoded.commands[i], outcome_);
      if (table_) to_publish_.insert(to_publish_.end(), state_.changes().accounts.begin(), state_.changes().accounts.end());
      effects = effects || !state_.changes().outbox.empty() || !state_.changes().timers.empty();
      if (crash_points_armed()) saga_steps_.note(decoded.commands[i], outcome_.outcomes, state_.changes());
      state_.clear_changes();
      for (size_t k = 0; k < outcome_.outcomes.size(); k++) {
        const Outcome o = outcome_.outcomes[k];
        metrics_.outcomes[static_cast<uint16_t>(o) & 127].fetch_add(1, std::memory_order_relaxed);
        if (o == Outcome::wrong_partition) {
          rejected_.emplace_back(r.offset, "command " + std::to_string(k) +
                                               " refused as wrong_partition (its account routes to another partition)");
        }
      }
      commands += decoded.commands[i].size();
    }
    meta_.next_offset = r.offset.next();
  }
  return effects;
}

Status PartitionPipeline::commit(size_t records, uint64_t commands, bool effects,
                                 std::chrono::steady_clock::time_point started) {
  assert(records > 0);  // apply_records returns before committing an empty step
  assert(meta_.commands_applied + commands >= meta_.commands_applied);
  meta_.last_timestamp = state_.last_timestamp();
  meta_.next_outbox_seq = state_.next_outbox_seq();
  meta_.commands_applied += commands;
  batch_.finish_changes(state_);
  batch_.stage_meta(meta_);
  crash_point(effects ? "pipeline.before_commit.effects" : "pipeline.before_commit");
  saga_steps_.pass("before");
  const Status committed = store_->commit(batch_);
  if (!committed.ok()) {
    tally::MutexLock lock(mu_);
    const Status s = committed.with_context("partition " + std::to_string(partition_.value));
    if (committed.code() == StatusCode::resource_exhausted) {
      // The store's disk refused the write (full, read-only): nothing of
      // this step is stored, and state_ is ahead of the store. run() starts
      // over from the store (recover()) and retries once the disk takes
      // writes; nothing moves past this offset meanwhile.
      needs_recover_ = true;
      return s;
    }
    fatal_ = s;
    return fatal_;
  }
  crash_point(effects ? "pipeline.after_commit.effects" : "pipeline.after_commit");
  saga_steps_.pass("after");
  saga_steps_ = {};
  publish_accounts();
  if (state_.cached_transfers() > options_.max_cached_transfers) state_.forget_cached();

  metrics_.commands_applied += commands;
  metrics_.records_applied += records;
  metrics_.commits++;
  const uint64_t per_record = micros_since(started) / records;
  for (size_t i = 0; i < records; i++) metrics_.apply_latency.record(per_record);
  {
    tally::MutexLock lock(mu_);
    digest_published_ = meta_.digest;
    metrics_.applied_next_offset = meta_.next_offset.value;
    metrics_.outbox_next_seq = meta_.next_outbox_seq;
  }
  applied_cv_.notify_all();
  if (options_.on_commit) options_.on_commit();
  if (effects && options_.on_effects) options_.on_effects();
  if (!rejected_.empty()) log_rejected_records();
  return Status::Ok();
}

void PartitionPipeline::log_rejected_records() {
  for (const auto& [offset, reason] : rejected_) {
    if (const uint64_t n = rejected_log_.admit()) {
      logging::warn("pipeline", "partition {} offset {}: {}{}", partition_.value, offset.value, reason,
                    n > 1 ? " (" + std::to_string(n - 1) + " more since the last line: GET /v1/offsets/" +
                                std::to_string(partition_.value) + "/OFFSET shows each)"
                          : std::string());
    }
  }
  rejected_.clear();
}

// Besides every flush_interval, a flush is due when the pipeline first
// reaches the log's end that note_replay_end() named (the replay after a
// restart is saved at once, waiting for it: once per start), and once this
// many records were applied since the last flush. The replay
// after a restart applies its backlog in well under the interval, and a
// crash before the first timed flush used to lose all of it, so crashes in
// quick succession piled up their replays (tools/dev soak: 245,000
// commands to replay after one kill of a 100-round loop).
constexpr uint64_t kFlushAfterRecords = 4096;

void PartitionPipeline::note_replay_end(Offset end) {
  replay_end_ = end.value;
  caught_up_ = end <= meta_.next_offset;  // nothing to replay: nothing to save
}

// After the commit, before applied() moves: a reader that waited for an
// offset finds its accounts in the table as of that offset or later.
void PartitionPipeline::publish_accounts() {
  if (!table_) return;
  for (AccountId id : to_publish_) {
    if (const Account* a = state_.find_account(id)) table_->publish(*a);
  }
  to_publish_.clear();
}

void PartitionPipeline::flush_if_due(bool committed) {
  unflushed_ = unflushed_ || committed;
  const bool just_caught_up = !caught_up_ && meta_.next_offset.value >= replay_end_;
  caught_up_ = caught_up_ || just_caught_up;
  if (!unflushed_ || options_.flush_interval.count() == 0) return;
  const auto now = std::chrono::steady_clock::now();
  const bool many = meta_.next_offset.value - flushed_offset_ >= kFlushAfterRecords;
  if (now - last_flush_ < options_.flush_interval && !many && !just_caught_up) return;
  last_flush_ = now;
  flushed_offset_ = meta_.next_offset.value;
  unflushed_ = false;
  // A failed flush leaves the data in the memtable: a crash replays more.
  // A store that cannot write fails the next commit, which stops the pipeline.
  (void)store_->flush(/*wait=*/just_caught_up);
}

Result<bool> PartitionPipeline::probe_if_due() {
  const auto now = std::chrono::steady_clock::now();
  if (options_.probe_interval.count() == 0) return true;
  if (now - last_probe_ < options_.probe_interval) return false;
  last_probe_ = now;
  if (reader_ == nullptr) return true;
  auto end = log_.end_offset(partition_);
  if (!end.ok()) {
    const Status s = end.status().with_context("the log does not answer (probing the end offset)");
    return s.retryable() ? s : Status::Unavailable(s.message());
  }
  if (*end <= reader_->position() || at_limit()) {
    last_delivery_ = now;
    return true;
  }
  // Records wait to be read: that proves nothing yet either way.
  if (now - last_delivery_ < options_.stall_timeout) return false;
  reader_stale_ = true;  // made again from the applied offset by the next step
  char waited[32];
  std::snprintf(waited, sizeof waited, "%.1f", std::chrono::duration<double>(now - last_delivery_).count());
  return Status::Unavailable("the log holds records through offset " + std::to_string(end->value - 1) +
                             " but none from offset " + std::to_string(reader_->position().value) + " arrived for " +
                             waited + " s (the partition's leader may be unreachable); reading again");
}

void PartitionPipeline::log_read_failure(const Status& s) {
  if (read_failures_ == 1) failing_since_ = std::chrono::steady_clock::now();
  if (const uint64_t n = read_log_.admit()) {
    logging::warn("pipeline", "partition {}: retrying ({} consecutive failures{}): {}", partition_.value,
                  read_failures_, n > 1 ? ", " + std::to_string(n) + " since the last line" : std::string(),
                  s.to_string());
  }
}

void PartitionPipeline::log_read_resumed() {
  const auto for_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                      failing_since_);
  logging::info("pipeline", "partition {}: reading again after {} failed attempts over {} s, from offset {}",
                partition_.value, read_failures_, for_s.count(), meta_.next_offset.value);
}

void PartitionPipeline::run(std::stop_token stop) {
  // Named for top -H, perf and the bench's CPU by thread (15 characters at most).
  pthread_setname_np(pthread_self(), ("tally pipe " + std::to_string(partition_.value)).substr(0, 15).c_str());
  const BackoffPolicy policy{.initial = std::chrono::milliseconds(50),
                             .max = std::chrono::milliseconds(5000),
                             .multiplier = 2.0,
                             .jitter = 0.5,
                             .max_attempts = 1000};
  Jitter jitter(partition_.value * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(
                    std::chrono::steady_clock::now().time_since_epoch().count()));
  last_flush_ = last_delivery_ = last_probe_ = std::chrono::steady_clock::now();
  read_failures_ = 0;
  while (!stop.stop_requested()) {
    const Status recovered = needs_recover_ ? recover_after_disk_failure() : Status::Ok();
    auto r = recovered.ok() ? step(options_.poll_wait) : Result<size_t>(recovered);
    if (r.ok() && *r > 0) last_delivery_ = std::chrono::steady_clock::now();
    const Result<bool> probed = r.ok() && *r == 0 ? probe_if_due() : Result<bool>(true);
    if (r.ok() && probed.ok()) {
      flush_if_due(*r > 0);
      // A step that read nothing proves nothing until a probe passes.
      if (!*probed) continue;
      if (read_failures_ > 0) log_read_resumed();
      read_failures_ = 0;
      tally::MutexLock lock(mu_);
      transient_ = Status::Ok();
      continue;
    }
    const Status failed = r.ok() ? probed.status() : r.status();
    {
      tally::MutexLock lock(mu_);
      if (!fatal_.ok()) break;
      if (!failed.retryable()) {
        fatal_ = failed.with_context("partition " + std::to_string(partition_.value));
        break;
      }
      transient_ = failed;
    }
    // A reader that failed is made again from the applied offset.
    if (!r.ok() && !needs_recover_) reader_stale_ = true;
    // A stall is timed only while the log answers: after an outage the
    // reader gets stall_timeout to deliver what was stored meanwhile.
    last_delivery_ = std::chrono::steady_clock::now();
    read_failures_++;
    log_read_failure(failed);
    const auto until = std::chrono::steady_clock::now() + backoff_delay(policy, read_failures_, jitter.next());
    while (!stop.stop_requested() && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          until - std::chrono::steady_clock::now(), std::chrono::milliseconds(100)));
    }
  }
  applied_cv_.notify_all();
  (void)store_->flush();
}

Status PartitionPipeline::recover_after_disk_failure() {
  Status before = last_transient_error();
  const Status s = recover();  // clears transient_: put it back until a step succeeds
  tally::MutexLock lock(mu_);
  if (s.ok()) needs_recover_ = false;
  transient_ = before;
  return s;
}

bool PartitionPipeline::wait_applied(Offset offset, std::chrono::milliseconds timeout) {
  tally::UniqueLock lock(mu_);
  return applied_cv_.wait_for(lock.native(), timeout, [&]() REQUIRES(mu_) {
    return metrics_.applied_next_offset.load() > offset.value || !fatal_.ok();
  }) && metrics_.applied_next_offset.load() > offset.value;
}

uint64_t PartitionPipeline::digest() const {
  tally::MutexLock lock(mu_);
  return digest_published_;
}

Status PartitionPipeline::status() const {
  tally::MutexLock lock(mu_);
  return fatal_;
}

Status PartitionPipeline::last_transient_error() const {
  tally::MutexLock lock(mu_);
  return transient_;
}

// The live pipeline takes the rebuilt one's store, state and position;
// its own progress, waiters and metrics stay. The state is replaced in
// place (PartitionState is movable, not assignable: its partition is const).
Status PartitionPipeline::adopt(PartitionPipeline& rebuilt) {
  if (rebuilt.partition_ != partition_ || rebuilt.meta_.next_offset != meta_.next_offset ||
      rebuilt.meta_.digest != meta_.digest) {
    return Status::FailedPrecondition(
        "partition " + std::to_string(partition_.value) + ": the rebuilt pipeline is at offset " +
        std::to_string(rebuilt.meta_.next_offset.value) + ", this one at " +
        std::to_string(meta_.next_offset.value) + " (or their digests differ)");
  }
  TALLY_ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, log_.read(partition_, meta_.next_offset));
  store_ = rebuilt.store_;
  std::destroy_at(&state_);
  std::construct_at(&state_, std::move(rebuilt.state_));
  meta_ = rebuilt.meta_;
  reader_ = std::move(reader);
  batch_.clear();
  if (table_) table_->clear();
  limit_ = ApplyLimit{};
  time_limit_reached_ = reader_stale_ = false;
  return Status::Ok();
}

}  // namespace tally
