#include "engine/node/pipeline.h"

#include <thread>

#include "engine/core/codec.h"
#include "engine/core/crash_point.h"
#include "engine/core/digest.h"

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
      store_(store),
      extension_(extension),
      options_(std::move(options)),
      state_(partition, log.partition_count()) {}

PartitionPipeline::~PartitionPipeline() = default;

Status PartitionPipeline::recover() {
  TALLY_ASSIGN_OR_RETURN(meta_, store_.meta());
  TALLY_RETURN_IF_ERROR(store_.load(state_));
  TALLY_ASSIGN_OR_RETURN(reader_, log_.read(partition_, meta_.next_offset));
  metrics_.applied_next_offset = meta_.next_offset.value;
  metrics_.commands_applied = meta_.commands_applied;
  metrics_.records_quarantined = meta_.records_quarantined;
  std::lock_guard lock(mu_);
  digest_published_ = meta_.digest;
  return Status::Ok();
}

Result<size_t> PartitionPipeline::step(std::chrono::milliseconds wait) {
  TALLY_ASSIGN_OR_RETURN(std::vector<LogRecord> records,
                         reader_->next(options_.max_records_per_step, wait));
  if (records.empty()) return size_t{0};
  TALLY_RETURN_IF_ERROR(apply_records(records));
  return records.size();
}

Status PartitionPipeline::prefetch(const std::vector<std::vector<Command>>& decoded,
                                   const std::vector<bool>& good) {
  std::vector<TransferId> transfers, sagas;
  std::vector<std::pair<Partition, TransferId>> legs;
  for (size_t i = 0; i < decoded.size(); i++) {
    if (!good[i]) continue;
    referenced_transfers(decoded[i], transfers);
    for (const Command& c : decoded[i]) {
      if (auto* r = std::get_if<SagaReply>(&c)) sagas.push_back(r->saga_id);
      if (auto* t = std::get_if<SagaTimeout>(&c)) sagas.push_back(t->saga_id);
      if (auto* k = std::get_if<SagaCredit>(&c)) legs.emplace_back(k->source_partition, k->saga_id);
      if (auto* x = std::get_if<SagaCancel>(&c)) legs.emplace_back(x->source_partition, x->saga_id);
    }
  }
  TALLY_RETURN_IF_ERROR(store_.prefetch_transfers(transfers, state_));
  TALLY_RETURN_IF_ERROR(store_.prefetch_sagas(sagas, state_));
  return store_.prefetch_legs(legs, state_);
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
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<Command>> decoded(records.size());
  std::vector<bool> good(records.size(), false);
  std::vector<std::string> reasons(records.size());
  for (size_t i = 0; i < records.size(); i++) {
    auto commands = decode_batch(records[i].value);
    if (commands.ok()) {
      decoded[i] = std::move(*commands);
      good[i] = true;
    } else {
      reasons[i] = commands.status().message();
    }
  }
  TALLY_RETURN_IF_ERROR(prefetch(decoded, good));

  batch_.clear();
  bool effects = false;
  uint64_t commands = 0;
  for (size_t i = 0; i < records.size(); i++) {
    const LogRecord& r = records[i];
    if (!good[i]) {
      batch_.stage_quarantine({r.offset, reasons[i], std::string(r.value.begin(), r.value.end())});
      Digest d(meta_.digest);
      d.add(r.offset.value);
      d.add(kQuarantineMark);
      meta_.digest = d.state();
      meta_.records_quarantined++;
      metrics_.records_quarantined++;
    } else {
      apply_record(state_, decoded[i], r.append_time, extension_, outcome_);
      const Timestamp first = outcome_.timestamps.empty() ? Timestamp{} : outcome_.timestamps[0];
      batch_.stage_outcomes(r.offset, OffsetOutcomes{first, outcome_.outcomes});
      batch_.stage_changes(state_);
      digest_record(r, decoded[i], outcome_);
      effects = effects || !state_.changes().outbox.empty() || !state_.changes().timers.empty();
      state_.clear_changes();
      for (Outcome o : outcome_.outcomes) {
        metrics_.outcomes[static_cast<uint16_t>(o) & 127].fetch_add(1, std::memory_order_relaxed);
      }
      commands += decoded[i].size();
    }
    meta_.next_offset = r.offset.next();
  }
  meta_.last_timestamp = state_.last_timestamp();
  meta_.next_outbox_seq = state_.next_outbox_seq();
  meta_.commands_applied += commands;
  batch_.stage_meta(meta_);
  crash_point(effects ? "pipeline.before_commit.effects" : "pipeline.before_commit");
  const Status committed = store_.commit(batch_);
  if (!committed.ok()) {
    std::lock_guard lock(mu_);
    fatal_ = committed.with_context("partition " + std::to_string(partition_.value));
    return fatal_;
  }
  crash_point(effects ? "pipeline.after_commit.effects" : "pipeline.after_commit");
  if (state_.cached_transfers() > options_.max_cached_transfers) state_.forget_cached();

  metrics_.commands_applied += commands;
  metrics_.records_applied += records.size();
  metrics_.commits++;
  const uint64_t per_record = micros_since(t0) / records.size();
  for (size_t i = 0; i < records.size(); i++) metrics_.apply_latency.record(per_record);
  {
    std::lock_guard lock(mu_);
    digest_published_ = meta_.digest;
    metrics_.applied_next_offset = meta_.next_offset.value;
  }
  applied_cv_.notify_all();
  if (effects && options_.on_effects) options_.on_effects();
  return Status::Ok();
}

void PartitionPipeline::run(std::stop_token stop) {
  auto backoff = std::chrono::milliseconds(50);
  while (!stop.stop_requested()) {
    auto r = step(options_.poll_wait);
    if (r.ok()) {
      backoff = std::chrono::milliseconds(50);
      std::lock_guard lock(mu_);
      transient_ = Status::Ok();
      continue;
    }
    {
      std::lock_guard lock(mu_);
      if (!fatal_.ok()) break;
      if (!r.status().retryable()) {
        fatal_ = r.status().with_context("partition " + std::to_string(partition_.value));
        break;
      }
      transient_ = r.status();
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  applied_cv_.notify_all();
  (void)store_.flush();
}

bool PartitionPipeline::wait_applied(Offset offset, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, timeout, [&] {
    return metrics_.applied_next_offset.load() > offset.value || !fatal_.ok();
  }) && metrics_.applied_next_offset.load() > offset.value;
}

uint64_t PartitionPipeline::digest() const {
  std::lock_guard lock(mu_);
  return digest_published_;
}

Status PartitionPipeline::status() const {
  std::lock_guard lock(mu_);
  return fatal_;
}

Status PartitionPipeline::last_transient_error() const {
  std::lock_guard lock(mu_);
  return transient_;
}

}  // namespace tally
