#include "engine/node/node.h"

#include <cassert>
#include <filesystem>

#include "engine/core/clock.h"
#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/pack.h"

namespace tally {


Node::Node(std::unique_ptr<Log> log, NodeOptions options)
    : log_(std::make_unique<BreakerLog>(
          std::move(log), BreakerLogOptions{options.breaker, options.breaker_clock})),
      options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_now;
}

Node::~Node() { stop(); }

Result<std::unique_ptr<Node>> Node::open(std::unique_ptr<Log> log, NodeOptions options) {
  std::unique_ptr<Node> node(new Node(std::move(log), std::move(options)));
  TALLY_RETURN_IF_ERROR(node->open_stores());
  return node;
}

// Startup step 1 (in open(), so the stores can be read before start()): one
// store per partition, the pipelines over them, and the scheduler and relay
// that the pipelines wake when they commit timers or outbox entries.
Status Node::open_stores() {
  const uint32_t n = log_->partition_count();
  std::error_code ec;
  const std::string base = options_.data_dir + "/partitions";
  std::vector<std::shared_ptr<PartitionStore>> opened;
  std::filesystem::create_directories(base, ec);
  if (ec) return Status::IoError("startup: creating " + base + ": " + ec.message());
  for (uint32_t p = 0; p < n; p++) {
    StoreOptions so;
    // Through the link a switched-in rebuild left (node_rebuild.cc): the
    // store keeps its real directory while the link moves on.
    so.dir = std::filesystem::weakly_canonical(base + "/" + std::to_string(p), ec).string();
    if (ec) return Status::IoError("startup: resolving " + base + "/" + std::to_string(p) + ": " + ec.message());
    so.partition = Partition{p};
    so.partition_count = n;
    auto store = PartitionStore::open(so);
    if (!store.ok()) return store.status().with_context("startup: opening the store of partition " + std::to_string(p));
    opened.push_back(std::shared_ptr<PartitionStore>(std::move(store).value()));
  }
  {
    tally::MutexLock lock(stores_mu_);
    stores_ = opened;
  }
  std::vector<const PartitionStore*> readers;
  std::vector<PartitionStore*> writers;
  for (auto& s : opened) {
    readers.push_back(s.get());
    writers.push_back(s.get());
  }
  owned_ = std::vector<std::atomic<bool>>(n);
  for (auto& o : owned_) o = false;
  {
    tally::MutexLock lock(ownership_mu_);  // no thread runs yet; the lock is for the analysis
    threads_.resize(n);
    start_errors_.resize(n);
    paused_.assign(n, false);
  }
  auto serves = [this](Partition p) { return owns(p); };
  auto applied = [this](Partition p) { return pipelines_.at(p.value)->applied(); };
  // Outbox entries staged and not yet relayed (0 for a partition not served).
  auto outbox = [this](Partition p) -> uint64_t {
    if (!options_.run_relay || !owns(p)) return 0;
    const uint64_t staged = pipelines_.at(p.value)->metrics().outbox_next_seq.load();
    const uint64_t relayed = relay_->relayed_below(p);
    return staged > relayed ? staged - relayed : 0;
  };
  in_flight_ = std::make_unique<InFlight>(n, options_.admission_window, applied, outbox);
  progress_ = std::make_unique<ProgressWatch>(n);
  scheduler_ = std::make_unique<TimerScheduler>(
      SchedulerDeps{readers, log_.get(), applied, options_.clock, serves,
                    [this](Partition p, const Timer& t) { return saga_hold(p, t); }, in_flight_.get()},
      options_.scheduler);
  relay_ = std::make_unique<OutboxRelay>(
      RelayDeps{writers, log_.get(), options_.clock, serves, in_flight_.get()}, options_.relay);
  for (uint32_t p = 0; p < n; p++) {
    PipelineOptions po = options_.pipeline;
    po.on_commit = [this, p, user = options_.pipeline.on_commit] {
      in_flight_->retire(Partition{p});
      if (user) user();
    };
    po.on_effects = [this, p, user = options_.pipeline.on_effects] {
      scheduler_->wake(Partition{p});
      relay_->wake(Partition{p});
      if (user) user();
    };
    pipelines_.push_back(std::make_unique<PartitionPipeline>(Partition{p}, *log_, *opened[p],
                                                             &sagas_, std::move(po)));
  }
  return Status::Ok();
}

// Startup step 2: each pipeline loads its state and positions its reader at
// the offset stored with that state.
Status Node::recover_pipelines() {
  for (auto& p : pipelines_) {
    TALLY_RETURN_IF_ERROR(p->recover().with_context(
        "startup: recovering the pipeline of partition " + std::to_string(p->partition().value)));
  }
  return Status::Ok();
}

// Startup step 3: every partition's stored offset must lie within the log;
// a store that has applied more records than the log holds was fed by a
// log that has since lost records, or by another log or topic; starting
// would apply the wrong records.
Status Node::check_log() {
  for (const auto& p : pipelines_) TALLY_RETURN_IF_ERROR(check_partition(p->partition()));
  return Status::Ok();
}

Status Node::check_partition(Partition p) {
  auto end = log_->end_offset(p);
  if (!end.ok()) {
    if (!end.status().retryable()) {
      return end.status().with_context("startup: connecting to " + log_->describe());
    }
    tally::MutexLock lock(startup_mu_);
    startup_log_error_ = end.status().with_context("not reachable at startup");
    return Status::Ok();  // not critical: pipelines and appends retry
  }
  const Offset applied = pipelines_.at(p.value)->applied();
  if (applied > *end) {
    return Status::FailedPrecondition(
        "startup: partition " + std::to_string(p.value) + " of " + options_.data_dir +
        " has applied " + std::to_string(applied.value) + " records but " + log_->describe() +
        " holds only " + std::to_string(end->value) +
        ": either the log lost records it once held (restored from an older copy, or damaged) or "
        "the data directory belongs to another log or topic; starting would give the missing "
        "offsets to other records (docs/operations.md, \"When the disk fails\")");
  }
  pipelines_.at(p.value)->note_replay_end(*end);  // the replay up to it is flushed once done
  return Status::Ok();
}

// Startup step 4.
void Node::start_pipelines() {
  tally::MutexLock lock(ownership_mu_);
  for (auto& p : pipelines_) {
    const uint32_t i = p->partition().value;
    threads_[i] = std::jthread([pipeline = p.get()](std::stop_token stop) { pipeline->run(stop); });
    owned_[i] = true;
  }
}

// Startup step 5: not critical; each retries its own failures with backoff
// and reports them in health().
void Node::start_recovery() {
  if (options_.run_scheduler) scheduler_->start();
  if (options_.run_relay) relay_->start();
}

// The startup order, in one place (docs/recovery.md "Startup and shutdown").
Status Node::start() {
  if (started_.exchange(true)) return Status::FailedPrecondition("the node was already started");
  // 1. The stores are open (open()). A group member does 2-4 per partition
  //    as partitions are assigned to it (acquire()).
  if (options_.own_every_partition) {
    TALLY_RETURN_IF_ERROR(recover_pipelines());  // 2. critical
    TALLY_RETURN_IF_ERROR(check_log());          // 3. critical, unless merely unreachable
    start_pipelines();                           // 4.
  }
  start_recovery();                              // 5. not critical
  return Status::Ok();
}

// The shutdown order: stop taking work, stop the engine's own appends, then
// let each pipeline commit what it applied and flush its store.
void Node::stop() {
  stopping_ = true;
  admin_cancel_ = true;
  tally::MutexLock admin(admin_mu_);  // a rebuild in progress gives up and resumes what it paused
  if (scheduler_) scheduler_->stop();
  if (relay_) relay_->stop();
  tally::MutexLock lock(ownership_mu_);
  for (auto& t : threads_) t.request_stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();  // each pipeline's run() flushes its store as it returns
  }
}

bool Node::pause(Partition p) {
  tally::MutexLock lock(ownership_mu_);
  if (p.value >= partition_count() || !owns(p) || paused_[p.value]) return false;
  pause_pipelines({p});
  paused_[p.value] = true;
  return true;
}

bool Node::resume(Partition p) {
  tally::MutexLock lock(ownership_mu_);
  if (p.value >= partition_count() || !paused_[p.value]) return false;
  paused_[p.value] = false;
  if (owns(p)) resume_pipelines({p});
  return true;
}

std::shared_ptr<PartitionStore> Node::store_slot(Partition p) const {
  tally::MutexLock lock(stores_mu_);
  return stores_.at(p.value);
}

std::shared_ptr<const PartitionStore> Node::store_ref(Partition p) const { return store_slot(p); }

Status Node::put_operational(Partition p, const std::string& key, const std::string& value) {
  StoreBatch batch;
  batch.put(key, value);
  return store_slot(p)->commit_logged(batch);
}

void Node::publish_store(Partition p, std::shared_ptr<PartitionStore> store) {
  tally::MutexLock lock(stores_mu_);
  stores_.at(p.value) = std::move(store);
}

Partition Node::partition_of_account(AccountId id) const {
  return partition_of(id, partition_count());
}

PartitionFlow Node::flow(Partition p) {
  PartitionFlow f;
  f.served = owns(p);
  if (!f.served) return f;
  const PartitionPipeline& pipeline = *pipelines_.at(p.value);
  f.failed = !pipeline.status().ok() || !pipeline.last_transient_error().ok();
  f.queued = in_flight_->count(p);
  f.since_progress = progress_->since_progress(p, pipeline.applied(), std::chrono::steady_clock::now());
  return f;
}

std::optional<std::string> Node::saga_hold(Partition source, const Timer& deadline) {
  auto saga = store_ref(source)->saga(TransferId(deadline.id));
  if (!saga.ok() || !saga->has_value()) return std::nullopt;
  // Settled since the scan found its timer: the same write cleared the
  // timer, which the next look finds; a timeout now would only be answered
  // saga_already_settled.
  if ((*saga)->state != SagaState::in_flight) return "settled after its deadline was found due";
  const Partition destination = (*saga)->destination;
  return saga_hold_reason(source, flow(source), destination, flow(destination), options_.saga_hold);
}

Status Node::admit(uint64_t commands, Deadline deadline) {
  if (deadline == Deadline::max()) deadline = std::chrono::steady_clock::now() + kDefaultAdmissionWait;
  if (in_flight_->admit(commands, deadline)) return Status::Ok();
  return Status::Overloaded("the node is full: " + std::to_string(in_flight_->count()) +
                            " commands in flight, admission window " +
                            std::to_string(in_flight_->window()) +
                            "; nothing was appended, send again in a moment");
}

Result<Offset> Node::append_record(Partition p, std::span<const uint8_t> value, uint64_t commands,
                                   Deadline deadline) {
  if (stopping_) return Status::Aborted("the node is stopping; appends are no longer accepted");
  TALLY_RETURN_IF_ERROR(admit(commands, deadline));
  const AppendRequest request{p, {}, value};
  TALLY_ASSIGN_OR_RETURN(std::vector<Offset> offset, log_->append_by(std::span(&request, 1), deadline));
  assert(offset.size() == 1);
  in_flight_->appended(p, offset.at(0), commands);
  return offset.at(0);
}

Result<std::vector<Placement>> Node::append(std::span<const Command> commands, Deadline deadline) {
  if (stopping_) return Status::Aborted("the node is stopping; appends are no longer accepted");
  TALLY_RETURN_IF_ERROR(admit(commands.size(), deadline));
  // No byte limit: a record over the log's limit is refused whole, as the
  // producer's request (engine/log/pack.h).
  const std::vector<PackedRecord> records = pack_routed(commands, partition_count(), kNoRecordByteLimit);
  TALLY_ASSIGN_OR_RETURN(std::vector<Offset> offsets, log_->append_by(append_requests(records), deadline));
  assert(offsets.size() == records.size());  // one offset per record appended
  std::vector<Placement> out(commands.size());
  [[maybe_unused]] size_t placed = 0;
  for (size_t r = 0; r < records.size(); r++) {
    const PackedRecord& record = records[r];
    placed += record.commands.size();
    in_flight_->appended(record.partition, offsets[r], record.commands.size());
    for (uint32_t k = 0; k < record.commands.size(); k++) {
      out[record.commands[k]] = Placement{record.partition, offsets[r], k};
    }
  }
  assert(placed == commands.size());  // every command admitted went into exactly one record
  return out;
}

bool Node::wait_applied(Partition partition, Offset offset, std::chrono::milliseconds timeout) {
  return pipelines_.at(partition.value)->wait_applied(offset, timeout);
}

Result<Outcome> Node::outcome(const Placement& placement, std::chrono::milliseconds timeout) {
  PartitionPipeline& p = *pipelines_.at(placement.partition.value);
  if (!p.wait_applied(placement.offset, timeout)) {
    if (!p.status().ok()) return p.status();
    return Status::Timeout("partition " + std::to_string(placement.partition.value) + " offset " +
                           std::to_string(placement.offset.value) + " was not applied within " +
                           std::to_string(timeout.count()) + " ms");
  }
  TALLY_ASSIGN_OR_RETURN(std::optional<OffsetOutcomes> o,
                         store_ref(placement.partition)->outcomes(placement.offset));
  if (!o) {
    return Status::NotFound("partition " + std::to_string(placement.partition.value) + " offset " +
                            std::to_string(placement.offset.value) +
                            " has no outcomes (the record was quarantined)");
  }
  if (placement.index >= o->outcomes.size()) {
    return Status::NotFound("record has " + std::to_string(o->outcomes.size()) +
                            " commands; index " + std::to_string(placement.index) + " is past them");
  }
  return o->outcomes[placement.index];
}

Status Node::wait_caught_up(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (uint32_t p = 0; p < partition_count(); p++) {
    if (!owns(Partition{p})) continue;
    TALLY_ASSIGN_OR_RETURN(Offset end, log_->end_offset(Partition{p}));
    if (end.value == 0) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!wait_applied(Partition{p}, Offset{end.value - 1}, std::max(left, std::chrono::milliseconds(0)))) {
      const Status s = pipelines_[p]->status();
      if (!s.ok()) return s;
      return Status::Timeout("partition " + std::to_string(p) + " did not catch up to offset " +
                             std::to_string(end.value) + " in time");
    }
  }
  return Status::Ok();
}

Result<std::optional<Account>> Node::account(AccountId id) const {
  const Partition p = partition_of_account(id);
  TALLY_RETURN_IF_ERROR(require_owned(p));
  // The table holds accounts as committed; a miss (not changed since the
  // pipeline recovered, or no room) reads the store.
  if (const AccountTable* table = pipelines_.at(p.value)->account_table()) {
    if (std::optional<Account> a = table->find(id)) return a;
  }
  return store_ref(p)->account(id);
}

// The stores of the partitions this node owns (nullptr for the others),
// with the references that keep them open while they are read.
struct Node::OwnedReaders {
  std::vector<std::shared_ptr<const PartitionStore>> held;
  std::vector<const PartitionStore*> stores;
};

Node::OwnedReaders Node::owned_readers() const {
  OwnedReaders r;
  for (uint32_t p = 0; p < partition_count(); p++) {
    r.held.push_back(owns(Partition{p}) ? store_ref(Partition{p}) : nullptr);
    r.stores.push_back(r.held.back().get());
  }
  return r;
}

Result<std::optional<Transfer>> Node::transfer(TransferId id) const {
  return find_transfer(owned_readers().stores, id);
}

Result<std::vector<Partition>> Node::transfer_partitions(TransferId id) const {
  return tally::transfer_partitions(owned_readers().stores, id);
}

Result<HistoryPage> Node::history(const HistoryQuery& query) const {
  TALLY_RETURN_IF_ERROR(require_owned(partition_of_account(query.account)));
  return account_history(*store_ref(partition_of_account(query.account)), query);
}

Result<Balances> Node::balance_at(AccountId id, Timestamp at) const {
  TALLY_RETURN_IF_ERROR(require_owned(partition_of_account(id)));
  return tally::balance_at(*store_ref(partition_of_account(id)), id, at);
}

std::vector<PartitionStatus> Node::status() {
  std::vector<PartitionStatus> out;
  // Once the log fails to answer (unreachable: each try may take the
  // client's whole timeout), the remaining partitions' ends are unknown;
  // so are those of a pipeline that is retrying (it cannot read the log).
  bool log_answers = true;
  for (uint32_t p = 0; p < partition_count(); p++) {
    if (!owns(Partition{p})) continue;
    PartitionStatus s;
    s.partition = Partition{p};
    s.applied = pipelines_[p]->applied();
    s.digest = pipelines_[p]->digest();
    s.error = pipelines_[p]->status();
    s.transient = pipelines_[p]->last_transient_error();
    const bool ask = log_answers && (s.transient.ok() || s.transient.code() == StatusCode::resource_exhausted);
    auto end = ask ? log_->end_offset(Partition{p}) : Result<Offset>(Status::Unavailable("skipped"));
    if (ask) log_answers = end.ok();
    s.log_end_known = end.ok();
    s.log_end = end.ok() ? *end : s.applied;
    out.push_back(s);
  }
  return out;
}

}  // namespace tally
