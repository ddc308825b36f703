// Node: which partitions this process owns, and handing them over (see
// node.h "Ownership"). A consumer group member (`tally serve --group`)
// calls acquire() and release() from its rebalance callbacks; a node that
// owns every partition never does.
//
// Handing a partition over keeps exactly once without any coordination of
// our own: each process applies the log into its own store, and applying is
// deterministic, so the process that takes a partition over replays what it
// missed and reaches the same state, digest and outbox as the one that gave
// it up. Whatever both send (a saga step, an expiry) carries an id derived
// from its cause, and the receiver answers the second copy `exists`.
#include "engine/core/thread_annotations.h"
#include "engine/node/node.h"

#include "engine/core/logging.h"

namespace tally {

namespace {
std::string list(const std::vector<Partition>& ps) {
  std::string out;
  for (const Partition& p : ps) out += (out.empty() ? "" : ", ") + std::to_string(p.value);
  return out;
}
}  // namespace

std::vector<Partition> Node::owned() const {
  std::vector<Partition> out;
  for (uint32_t p = 0; p < owned_.size(); p++) {
    if (owned_[p].load()) out.push_back(Partition{p});
  }
  return out;
}

Status Node::require_owned(Partition p) const {
  if (owns(p)) return Status::Ok();
  return Status::FailedPrecondition("partition " + std::to_string(p.value) +
                                    " is not owned by this node (another member of its consumer "
                                    "group serves it)");
}

// Startup steps 2-4 for one partition. REQUIRES: ownership_mu_ held, the
// partition's pipeline not running.
Status Node::start_partition(Partition p) {
  PartitionPipeline& pipeline = *pipelines_.at(p.value);
  const std::string what = "starting partition " + std::to_string(p.value);
  TALLY_RETURN_IF_ERROR(pipeline.recover().with_context(what));
  if (Status s = check_partition(p); !s.ok()) {
    pipeline.release();
    return s.with_context(what);
  }
  threads_[p.value] = std::jthread([&pipeline](std::stop_token stop) { pipeline.run(stop); });
  owned_[p.value] = true;
  scheduler_->wake(p);  // scan its timers and relay its outbox as they are now
  relay_->wake(p);
  return Status::Ok();
}

Status Node::acquire(std::span<const Partition> partitions) {
  tally::MutexLock lock(ownership_mu_);
  assigned_ = true;
  Status first;
  std::vector<Partition> started;
  for (const Partition& p : partitions) {
    if (stopping_ || owns(p)) continue;
    const Status s = start_partition(p);
    start_errors_.at(p.value) = s;
    if (s.ok()) {
      started.push_back(p);
    } else {
      logging::error("ownership", "partition {} was assigned but failed to start: {}", p.value, s.to_string());
      if (first.ok()) first = s;
    }
  }
  if (!started.empty()) logging::info("ownership", "now owns partitions {} (acquired {})", list(owned()), list(started));
  return first;
}

void Node::release(std::span<const Partition> partitions) {
  tally::MutexLock lock(ownership_mu_);
  std::vector<Partition> stopping;
  for (const Partition& p : partitions) {
    start_errors_.at(p.value) = Status::Ok();
    if (!owns(p)) continue;
    owned_[p.value] = false;  // no new scheduler or relay tick for it
    scheduler_->wait_idle(p);  // and none running
    relay_->wait_idle(p);
    threads_[p.value].request_stop();
    stopping.push_back(p);
  }
  for (const Partition& p : stopping) {
    threads_[p.value].join();  // run() commits what it applied and flushes the store
    threads_[p.value] = std::jthread();
    pipelines_[p.value]->release();
  }
  if (!stopping.empty()) {
    logging::info("ownership", "released partitions {}; now owns {}", list(stopping),
                  owned().empty() ? std::string("none") : list(owned()));
  }
}

ComponentHealth Node::ownership_health() const {
  ComponentHealth c{"ownership", false, true, ""};
  const std::vector<Partition> mine = owned();
  const std::string of = " of " + std::to_string(partition_count());
  if (options_.own_every_partition) {
    c.detail = "owns every partition (" + std::to_string(mine.size()) + of + "; no consumer group)";
    return c;
  }
  tally::MutexLock lock(ownership_mu_);
  std::string failed;
  for (uint32_t p = 0; p < start_errors_.size(); p++) {
    if (start_errors_[p].ok()) continue;
    failed += (failed.empty() ? "" : "; ") + start_errors_[p].to_string();
  }
  if (!assigned_) {
    c.ok = false;
    c.detail = "waiting for the consumer group's first assignment";
  } else if (!failed.empty()) {
    c.ok = false;
    c.detail = "assigned partitions failed to start: " + failed;
  } else {
    c.detail = mine.empty() ? "owns no partition" + of
                            : "owns partitions " + list(mine) + " (" + std::to_string(mine.size()) + of + ")";
  }
  return c;
}

std::string Node::ownership_metrics_text() const {
  std::string out;
  out += "# HELP tally_partition_owned Whether this process owns the partition now (1) or not (0).\n";
  out += "# TYPE tally_partition_owned gauge\n";
  for (uint32_t p = 0; p < owned_.size(); p++) {
    out += "tally_partition_owned{partition=\"" + std::to_string(p) + "\"} " +
           (owned_[p].load() ? "1" : "0") + "\n";
  }
  return out;
}

}  // namespace tally
