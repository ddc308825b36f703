// Node::rebuild: a partition's store rebuilt from the log beside the live
// pipeline and switched in without stopping queries.
//
//   1. A fresh store in DATA/partitions/<P>.g<N> and a PartitionPipeline
//      over it (the engine's own apply path and saga coordinator; nothing
//      is appended) follow the live pipeline until they are at most
//      options.pause_within_records behind it.
//   2. The live pipeline pauses (its thread stops after its commit); the
//      rebuild applies up to exactly the live applied offset A.
//   3. The digests at A are compared. Different: the live pipeline resumes
//      on its own store, the rebuilt one is deleted, the report says so.
//   4. Equal: the relay moves to the new store (dropping the outbox entries
//      it already delivered from the old one, so nothing is sent twice),
//      the live pipeline adopts the rebuilt state and store, the scheduler
//      and readers move to it, and the live pipeline resumes. Queries never
//      wait: until the swap they read the old store, after it the new one.
//   5. When the last query reading the old store is done it is closed; the
//      link DATA/partitions/<P> is pointed at the new directory (one
//      rename) and the old directory removed.
//
// A crash at any point leaves DATA/partitions/<P> naming either store,
// each a consistent prefix of the log; a restart replays from there.
// Directories of rebuilds that did not finish are removed by the next one.
#include <filesystem>
#include <thread>

#include "engine/core/thread_annotations.h"
#include "engine/node/node.h"

namespace tally {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// "<P>.g<N>" → N, for entries of DATA/partitions belonging to partition p.
std::optional<uint64_t> generation_of(const std::string& name, Partition p) {
  const std::string prefix = std::to_string(p.value) + ".g";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  uint64_t n = 0;
  for (size_t i = prefix.size(); i < name.size(); i++) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return n;
}

}  // namespace

// One rebuild in progress. Runs on the caller's thread, under admin_mu_.
struct Node::Rebuild {
  Node& node;
  const Partition p;
  const RebuildOptions& options;
  const Clock::time_point started = Clock::now();
  fs::path base;     // DATA/partitions, absolute
  fs::path new_dir;  // base/<P>.g<N>
  std::shared_ptr<PartitionStore> old_store;
  std::shared_ptr<PartitionStore> new_store;
  std::unique_ptr<PartitionPipeline> pipeline;  // the rebuild's
  uint64_t pruned = 0;  // outbox entries below this are gone from new_store
  RebuildReport report;

  Rebuild(Node& n, Partition part, const RebuildOptions& o) : node(n), p(part), options(o) {}

  Status cancelled() const {
    if (node.admin_cancel_ || node.stopping_) return Status::Aborted("the node is stopping; rebuild abandoned");
    return Status::Ok();
  }

  Status open();
  Status drive(Offset target);
  Status catch_up();
  Status prune_delivered();
  Result<bool> pause_and_switch();
  void finish();
  void discard();
  Result<RebuildReport> run();
};

// The new directory and store, and leftovers of rebuilds that did not
// finish removed (every <P>.g<N> but the one the live store uses).
Status Node::Rebuild::open() {
  old_store = node.store_slot(p);
  std::error_code ec;
  base = fs::weakly_canonical(fs::path(node.options_.data_dir) / "partitions", ec);
  if (ec) return Status::IoError("resolving " + node.options_.data_dir + "/partitions: " + ec.message());
  const fs::path live_dir = fs::weakly_canonical(old_store->options().dir, ec);
  uint64_t next = 1;
  for (const fs::directory_entry& e : fs::directory_iterator(base, ec)) {
    const std::string name = e.path().filename().string();
    if (auto g = generation_of(name, p)) {
      next = std::max(next, *g + 1);
      if (e.path() != live_dir) fs::remove_all(e.path(), ec);
    } else if (name == std::to_string(p.value) + ".link" || name == std::to_string(p.value) + ".old") {
      fs::remove_all(e.path(), ec);
    }
  }
  new_dir = base / (std::to_string(p.value) + ".g" + std::to_string(next));
  StoreOptions so = old_store->options();
  so.dir = new_dir.string();
  so.create_if_missing = true;
  TALLY_ASSIGN_OR_RETURN(std::unique_ptr<PartitionStore> store, PartitionStore::open(so));
  new_store = std::move(store);
  PipelineOptions po = node.options_.pipeline;
  po.on_effects = nullptr;  // nothing relays from the rebuild until it is switched in
  pipeline = std::make_unique<PartitionPipeline>(p, *node.log_, *new_store, &node.sagas_, po);
  return pipeline->recover();
}

// Applies the log up to `target`; retryable log errors are retried until
// options.stall_timeout passes without a record.
Status Node::Rebuild::drive(Offset target) {
  pipeline->set_limit({.end = target});
  auto last_progress = Clock::now();
  while (!pipeline->at_limit()) {
    TALLY_RETURN_IF_ERROR(cancelled());
    auto step = pipeline->step(std::chrono::milliseconds(100));
    if (step.ok() && *step > 0) {
      last_progress = Clock::now();
      continue;
    }
    if (!step.ok() && !step.status().retryable()) return step.status();
    if (Clock::now() - last_progress > options.stall_timeout) {
      return Status::Unavailable("the rebuild of partition " + std::to_string(p.value) +
                                 " read no record at offset " +
                                 std::to_string(pipeline->applied().value) + " for " +
                                 std::to_string(options.stall_timeout.count()) + " ms" +
                                 (step.ok() ? "" : " (" + step.status().to_string() + ")"));
    }
  }
  return Status::Ok();
}

// Entries the relay delivered from the old store are dropped from the new
// one as the rebuild produces them, so the pause has only the last few left.
Status Node::Rebuild::prune_delivered() {
  TALLY_ASSIGN_OR_RETURN(uint64_t delivered, node.relay_->progress(p));
  TALLY_ASSIGN_OR_RETURN(PartitionMeta meta, new_store->meta());
  const uint64_t upto = std::min(delivered, meta.next_outbox_seq);
  if (upto <= pruned) return Status::Ok();
  TALLY_ASSIGN_OR_RETURN(uint64_t removed, drop_delivered(*new_store, pruned, upto));
  report.outbox_delivered += removed;
  pruned = upto;
  return Status::Ok();
}

// Follows the live pipeline until close behind it.
Status Node::Rebuild::catch_up() {
  for (;;) {
    const Offset live = node.pipelines_[p.value]->applied();
    if (live.value <= pipeline->applied().value + options.pause_within_records) break;
    TALLY_RETURN_IF_ERROR(drive(live));
    TALLY_RETURN_IF_ERROR(prune_delivered());
  }
  TALLY_RETURN_IF_ERROR(prune_delivered());
  // The live pipeline flushes its store as it pauses: make that flush small.
  TALLY_RETURN_IF_ERROR(old_store->flush());
  return new_store->flush();
}

// Steps 2-4. Returns whether the new store was switched in.
Result<bool> Node::Rebuild::pause_and_switch() {
  PartitionPipeline& live = *node.pipelines_[p.value];
  tally::MutexLock ownership(node.ownership_mu_);  // no hand-over while paused
  if (!node.owns(p)) {
    return Status::Aborted("partition " + std::to_string(p.value) + " was handed to another node");
  }
  // From the request: the thread finishes its step and flushes the store
  // (a small flush: catch_up flushed it) before it stops.
  const auto paused_at = Clock::now();
  node.pause_pipelines({p});
  struct Resume {
    Node& node;
    Partition p;
    Clock::time_point paused_at;
    std::chrono::microseconds& paused;
    ~Resume() {
      node.resume_pipelines({p});
      paused = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - paused_at);
    }
  } resume{node, p, paused_at, report.paused};

  report.offset = live.applied();
  report.live_digest = live.digest();
  TALLY_RETURN_IF_ERROR(drive(report.offset));
  report.rebuilt_digest = pipeline->digest();
  if (pipeline->applied() != report.offset || report.rebuilt_digest != report.live_digest) {
    return false;
  }
  TALLY_ASSIGN_OR_RETURN(uint64_t removed, node.relay_->switch_store(p, *new_store, pruned));
  report.outbox_delivered += removed;
  if (Status adopted = live.adopt(*pipeline); !adopted.ok()) {
    (void)node.relay_->switch_store(p, *old_store, 0);  // back, so the old outbox keeps flowing
    return adopted;
  }
  node.scheduler_->switch_store(p, *new_store);
  node.publish_store(p, new_store);
  return true;
}

// Step 5: close the old store once no query reads it, point the link at the
// new directory and remove the old one.
void Node::Rebuild::finish() {
  pipeline.reset();
  const fs::path old_dir = fs::weakly_canonical(old_store->options().dir);
  const auto deadline = Clock::now() + options.drain_timeout;
  while (old_store.use_count() > 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (old_store.use_count() > 1) {
    report.note = "queries still read the old store at " + old_dir.string() +
                  "; it stays until they finish, and a restart before the next rebuild starts from it";
    old_store.reset();  // the last reader closes it
    return;
  }
  old_store.reset();  // closed
  if (Status flushed = new_store->flush(); !flushed.ok()) {
    report.note = "flushing the new store: " + flushed.to_string();
  }
  std::error_code ec;
  const fs::path link = base / std::to_string(p.value);
  const fs::path tmp = base / (std::to_string(p.value) + ".link");
  const fs::path parked = base / (std::to_string(p.value) + ".old");
  fs::remove(tmp, ec);
  fs::create_directory_symlink(new_dir.filename(), tmp, ec);
  if (!ec && !fs::is_symlink(link)) fs::rename(link, parked, ec);  // the original plain directory
  if (!ec) fs::rename(tmp, link, ec);
  if (ec) {
    report.note = "pointing " + link.string() + " at " + new_dir.string() + ": " + ec.message() +
                  "; a restart before the next rebuild starts from the old store";
    return;
  }
  fs::remove_all(fs::exists(parked) ? parked : old_dir, ec);
  if (ec) report.note = "removing the old store " + old_dir.string() + ": " + ec.message();
}

// The rebuilt store is not used: close and delete it.
void Node::Rebuild::discard() {
  pipeline.reset();
  new_store.reset();
  std::error_code ec;
  if (!new_dir.empty()) fs::remove_all(new_dir, ec);
}

Result<RebuildReport> Node::Rebuild::run() {
  report.partition = p;
  if (Status s = node.pipelines_[p.value]->status(); !s.ok()) {
    return Status::FailedPrecondition("the pipeline of partition " + std::to_string(p.value) +
                                      " has stopped (" + s.to_string() +
                                      "); restart tally serve, which resumes it from its store, or "
                                      "rebuild offline with tally replay");
  }
  Status s = open();
  if (s.ok()) s = catch_up();
  Result<bool> switched = s.ok() ? pause_and_switch() : Result<bool>(s);
  if (!switched.ok() || !*switched) {
    discard();
    if (!switched.ok()) {
      return switched.status().with_context("rebuilding partition " + std::to_string(p.value));
    }
  } else {
    report.switched = true;
    report.records = pipeline->metrics().records_applied.load();
    report.store_dir = new_dir.string();
    finish();
  }
  if (!report.switched) report.store_dir = old_store->options().dir;
  report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return report;
}

void Node::pause_pipelines(const std::vector<Partition>& ps) {
  for (Partition p : ps) threads_.at(p.value).request_stop();
  for (Partition p : ps) {
    if (threads_[p.value].joinable()) threads_[p.value].join();  // run() returns after its commit
  }
}

void Node::resume_pipelines(const std::vector<Partition>& ps) {
  for (Partition p : ps) {
    threads_.at(p.value) = std::jthread(
        [pipeline = pipelines_.at(p.value).get()](std::stop_token stop) { pipeline->run(stop); });
  }
}

Result<RebuildReport> Node::rebuild(Partition p, const RebuildOptions& options) {
  if (p.value >= partition_count()) {
    return Status::InvalidArgument("partition " + std::to_string(p.value) + " does not exist; the log has " +
                                   std::to_string(partition_count()) + " partitions");
  }
  if (!admin_mu_.try_lock()) {
    return Status::FailedPrecondition("another rebuild or checkpoint is running; try again when it is done");
  }
  tally::MutexLock admin(admin_mu_, std::adopt_lock);
  if (!started_ || stopping_) return Status::FailedPrecondition("the node is not running");
  TALLY_RETURN_IF_ERROR(require_owned(p));
  admin_cancel_ = false;
  Rebuild r(*this, p, options);
  return r.run();
}

}  // namespace tally
