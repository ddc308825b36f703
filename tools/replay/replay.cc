#include "tools/replay/replay.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/core/thread_annotations.h"
#include "projections/store.h"
#include "recovery/sagas.h"

namespace tally::replay {
namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string where(Partition p) { return "partition " + std::to_string(p.value); }

// One replay in progress: a fresh store and a pipeline per partition,
// driven by worker threads, one partition at a time each.
class Run {
 public:
  Run(Log& log, const ReplayOptions& options) : log_(log), options_(options) {}

  Status open();
  Result<Report> execute(const std::function<void(const Progress&)>& on_progress);

 private:
  Status run_partition(size_t i);
  // Steps `pipeline` until `limit` stops it; retries retryable log errors
  // and fails when no record arrives for options_.stall_timeout.
  Status drive(PartitionPipeline& pipeline, const ApplyLimit& limit);
  void work();
  Progress progress(Clock::time_point started) const;

  Log& log_;
  const ReplayOptions& options_;
  SagaCoordinator sagas_;  // stateless: serves every partition
  std::vector<std::unique_ptr<PartitionStore>> stores_;
  std::vector<std::unique_ptr<PartitionPipeline>> pipelines_;
  std::vector<PartitionResult> results_;  // slot i written by the worker running partition i

  std::atomic<size_t> next_{0};
  std::atomic<bool> cancel_{false};
  tally::Mutex mu_;
  std::condition_variable finished_cv_;
  size_t workers_finished_ GUARDED_BY(mu_) = 0;
  Status error_ GUARDED_BY(mu_);  // the first failure
};

Status Run::open() {
  if (!is_empty_dir(options_.into_dir)) {
    return Status::FailedPrecondition(options_.into_dir +
                                      " is not empty; replay builds a fresh projection, give a new "
                                      "or empty directory");
  }
  const std::string base = options_.into_dir + "/partitions";
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) return Status::IoError("creating " + base + ": " + ec.message());
  if (!options_.checkpoint_copies.empty()) {
    std::filesystem::create_directories(options_.checkpoint_copies, ec);
    if (ec) return Status::IoError("creating " + options_.checkpoint_copies + ": " + ec.message());
  }
  const uint32_t n = log_.partition_count();
  for (uint32_t p = 0; p < n; p++) {
    PartitionResult r;
    r.partition = Partition{p};
    TALLY_ASSIGN_OR_RETURN(r.log_end, log_.end_offset(r.partition));
    auto to = options_.to_offset.find(p);
    r.target = to == options_.to_offset.end() ? r.log_end : std::min(r.log_end, to->second);
    if (auto c = options_.checkpoints.find(p); c != options_.checkpoints.end()) {
      r.checkpoint = Checkpoint{c->second};
    }
    results_.push_back(r);
    TALLY_ASSIGN_OR_RETURN(auto store,
                           PartitionStore::open({.dir = base + "/" + std::to_string(p),
                                                 .partition = Partition{p},
                                                 .partition_count = n,
                                                 .bulk = options_.bulk}));
    stores_.push_back(std::move(store));
    pipelines_.push_back(std::make_unique<PartitionPipeline>(Partition{p}, log_, *stores_.back(),
                                                             &sagas_, options_.pipeline));
  }
  return Status::Ok();
}

Status Run::drive(PartitionPipeline& pipeline, const ApplyLimit& limit) {
  pipeline.set_limit(limit);
  auto last_progress = Clock::now();
  Status last_error;
  while (!pipeline.at_limit()) {
    if (cancel_.load()) return Status::Aborted("another partition failed");
    auto step = pipeline.step(std::chrono::milliseconds(100));
    if (step.ok() && *step > 0) {
      last_progress = Clock::now();
      continue;
    }
    if (!step.ok()) {
      if (!step.status().retryable()) return step.status();
      last_error = step.status();
    }
    if (Clock::now() - last_progress > options_.stall_timeout) {
      return Status::Unavailable(
          "no record arrived at offset " + std::to_string(pipeline.applied().value) + " for " +
          std::to_string(options_.stall_timeout.count()) + " ms" +
          (last_error.ok() ? std::string() : " (last error: " + last_error.to_string() + ")"));
    }
  }
  return Status::Ok();
}

Status Run::run_partition(size_t i) {
  PartitionPipeline& pipeline = *pipelines_[i];
  PartitionResult& r = results_[i];
  TALLY_RETURN_IF_ERROR(pipeline.recover());
  if (r.checkpoint && r.checkpoint->offset <= r.target) {
    TALLY_RETURN_IF_ERROR(drive(pipeline, {.end = r.checkpoint->offset, .until = options_.to_time}));
    r.checkpoint->reached = pipeline.applied() == r.checkpoint->offset;
    if (r.checkpoint->reached) {
      r.checkpoint->digest = pipeline.digest();
      if (!options_.checkpoint_copies.empty() && r.checkpoint->offset < r.target) {
        const std::string copy = options_.checkpoint_copies + "/" + std::to_string(r.partition.value);
        TALLY_RETURN_IF_ERROR(stores_[i]->checkpoint(copy));
        r.checkpoint->store_dir = copy;
      }
    }
  }
  TALLY_RETURN_IF_ERROR(drive(pipeline, {.end = r.target, .until = options_.to_time}));
  r.applied = pipeline.applied();
  if (r.checkpoint && r.checkpoint->reached && r.checkpoint->store_dir.empty() &&
      r.checkpoint->offset == r.applied) {
    r.checkpoint->store_dir = stores_[i]->options().dir;
  }
  r.digest = pipeline.digest();
  r.commands = pipeline.metrics().commands_applied.load();
  r.stopped_by_time = r.applied < r.target;
  TALLY_RETURN_IF_ERROR(stores_[i]->finish_bulk());
  return stores_[i]->flush();
}

void Run::work() {
  for (size_t i = next_++; i < pipelines_.size() && !cancel_.load(); i = next_++) {
    const Status s = run_partition(i);
    if (!s.ok()) {
      tally::MutexLock lock(mu_);
      if (error_.ok() || error_.code() == StatusCode::aborted) {
        error_ = s.with_context(where(results_[i].partition));
      }
      cancel_ = true;
    }
  }
  tally::MutexLock lock(mu_);
  workers_finished_++;
  finished_cv_.notify_all();
}

Progress Run::progress(Clock::time_point started) const {
  Progress p;
  for (size_t i = 0; i < pipelines_.size(); i++) {
    p.records_done += pipelines_[i]->applied().value;
    p.records_total += results_[i].target.value;
    p.commands += pipelines_[i]->metrics().commands_applied.load();
  }
  p.seconds = seconds_since(started);
  return p;
}

Result<Report> Run::execute(const std::function<void(const Progress&)>& on_progress) {
  const auto started = Clock::now();
  const double cpu_started = cpu_seconds_now();
  size_t jobs = options_.jobs != 0 ? options_.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, std::max<size_t>(pipelines_.size(), 1));
  std::vector<std::jthread> workers;
  for (size_t j = 0; j < jobs; j++) workers.emplace_back([this] { work(); });
  {
    tally::UniqueLock lock(mu_);
    while (workers_finished_ < jobs) {
      finished_cv_.wait_for(lock.native(), options_.progress_interval);
      if (on_progress && workers_finished_ < jobs) {
        lock.unlock();
        on_progress(progress(started));
        lock.lock();
      }
    }
    if (!error_.ok()) return error_;
  }
  workers.clear();
  if (on_progress) on_progress(progress(started));
  Report report;
  report.partitions = results_;
  for (const PartitionResult& r : results_) report.commands += r.commands;
  report.wall_seconds = seconds_since(started);
  report.cpu_seconds = cpu_seconds_now() - cpu_started;
  return report;
}

}  // namespace

bool is_empty_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return true;
  return std::filesystem::is_directory(dir, ec) && std::filesystem::is_empty(dir, ec) && !ec;
}

Result<Report> replay(Log& log, const ReplayOptions& options,
                      const std::function<void(const Progress&)>& on_progress) {
  for (const auto& [p, o] : options.to_offset) {
    if (p >= log.partition_count()) {
      return Status::InvalidArgument("partition " + std::to_string(p) + " does not exist; " +
                                     log.describe() + " has " +
                                     std::to_string(log.partition_count()));
    }
  }
  Run run(log, options);
  TALLY_RETURN_IF_ERROR(run.open());
  return run.execute(on_progress);
}

Result<std::optional<PartitionMeta>> read_live_meta(const std::string& data_dir, Partition p,
                                                    uint32_t partition_count) {
  const std::string dir = data_dir + "/partitions/" + std::to_string(p.value);
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/CURRENT", ec)) return std::optional<PartitionMeta>();
  auto store = PartitionStore::open({.dir = dir,
                                     .partition = p,
                                     .partition_count = partition_count,
                                     .create_if_missing = false,
                                     .read_only = true});
  if (!store.ok() && store.status().code() == StatusCode::not_found) {
    return std::optional<PartitionMeta>();  // no meta yet
  }
  if (!store.ok()) return store.status();
  TALLY_ASSIGN_OR_RETURN(PartitionMeta m, (*store)->meta());
  return std::optional<PartitionMeta>(m);
}

Result<std::vector<std::optional<PartitionMeta>>> read_live_metas(const std::string& data_dir,
                                                                  uint32_t partition_count) {
  std::vector<std::optional<PartitionMeta>> out(partition_count);
  for (uint32_t p = 0; p < partition_count; p++) {
    TALLY_ASSIGN_OR_RETURN(out[p], read_live_meta(data_dir, Partition{p}, partition_count));
  }
  return out;
}

}  // namespace tally::replay
