// Node::checkpoint: a backup of a running node. The stores are flushed,
// then every pipeline pauses for a moment while each store is checkpointed
// (RocksDB: the little left in the memtables flushed, the files hard-linked
// or copied), so the copies are one cut across partitions: a saga's steps
// appear in the copy in an order they could have happened in, and
// reconcile's checks across partitions hold on the copy. The embedded log
// is copied after the stores, so it holds every record they applied:
// `tally serve --data DIR` starts from the copy and replays the rest, as
// after a crash. Outbox entries the relay sent after the cut are sent again
// from the copy; receivers answer `exists` (docs/recovery.md).
#include <filesystem>

#include "engine/core/thread_annotations.h"
#include "engine/node/node.h"

namespace tally {

namespace fs = std::filesystem;

namespace {

// Whether `path` is `dir` or inside it (both absolute and normal).
bool is_within(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *d) return false;
  }
  return true;
}

Status check_target(const std::string& dir, const std::string& data_dir) {
  const fs::path target(dir);
  if (dir.empty() || !target.is_absolute()) {
    return Status::InvalidArgument("the checkpoint directory must be an absolute path, got \"" + dir + "\"");
  }
  std::error_code ec;
  if (fs::exists(fs::symlink_status(target, ec))) {
    return Status::InvalidArgument(dir + " exists; a checkpoint goes into a new directory");
  }
  const fs::path parent = target.lexically_normal().parent_path();
  if (!fs::is_directory(parent, ec)) {
    return Status::InvalidArgument("the parent directory " + parent.string() + " does not exist");
  }
  const fs::path resolved = fs::weakly_canonical(target, ec);
  if (!ec && is_within(resolved, fs::weakly_canonical(data_dir, ec))) {
    return Status::InvalidArgument(dir + " is inside the data directory " + data_dir +
                                   "; put the checkpoint outside it");
  }
  return Status::Ok();
}

}  // namespace

Result<CheckpointReport> Node::checkpoint(const std::string& dir) {
  TALLY_RETURN_IF_ERROR(check_target(dir, options_.data_dir));
  if (!admin_mu_.try_lock()) {
    return Status::FailedPrecondition("another rebuild or checkpoint is running; try again when it is done");
  }
  tally::MutexLock admin(admin_mu_, std::adopt_lock);
  if (!started_ || stopping_) return Status::FailedPrecondition("the node is not running");
  const auto started = std::chrono::steady_clock::now();
  CheckpointReport report;
  report.dir = dir;
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "partitions", ec);
  if (ec) return Status::IoError("creating " + dir + "/partitions: " + ec.message());
  auto fail = [&](const Status& s) {
    fs::remove_all(dir, ec);
    return s.with_context("checkpoint into " + dir + " (removed)");
  };
  const uint32_t n = partition_count();
  for (uint32_t p = 0; p < n; p++) {
    if (Status s = store_slot(Partition{p})->flush(); !s.ok()) return fail(s);
  }
  {
    // The owned partitions' pipelines pause; a partition this node does not
    // own (a consumer group member's) is copied as it was last left.
    tally::MutexLock ownership(ownership_mu_);
    const std::vector<Partition> all = owned();
    // From the request: a busy pipeline stops at once, then waits for an
    // idle one to notice (at most its poll_wait).
    const auto paused_at = std::chrono::steady_clock::now();
    pause_pipelines(all);
    Status s;
    for (uint32_t p = 0; p < n && s.ok(); p++) {
      s = store_ref(Partition{p})->checkpoint(dir + "/partitions/" + std::to_string(p));
    }
    resume_pipelines(all);
    report.paused = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - paused_at);
    if (!s.ok()) return fail(s);
  }
  for (uint32_t p = 0; p < n; p++) {
    const std::string to = dir + "/partitions/" + std::to_string(p);
    auto copy = PartitionStore::open({.dir = to,
                                      .partition = Partition{p},
                                      .partition_count = n,
                                      .create_if_missing = false,
                                      .read_only = true});
    if (!copy.ok()) return fail(copy.status());
    auto meta = (*copy)->meta();
    if (!meta.ok()) return fail(meta.status());
    report.partitions.push_back({Partition{p}, meta->next_offset, meta->digest});
  }
  const Status log = log_->checkpoint(dir + "/log");
  if (log.ok()) {
    report.log_copied = true;
    report.log_note = log_->describe() + " copied to " + dir + "/log";
  } else if (log.code() == StatusCode::failed_precondition) {
    report.log_note = log.message();  // Kafka: the records stay in the cluster
  } else {
    return fail(log);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace tally
