// reconcile(): a PartitionChecker per partition on worker threads, then the
// checks across partitions, then one report.
#include "tools/reconcile/reconcile.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "tools/reconcile/checker.h"

namespace tally::reconcile {
namespace {

using detail::PartitionFacts;
using detail::Sink;

double cpu_seconds_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// Whether a writer holds RocksDB's lock on the store in `dir` (a running
// `tally serve`). RocksDB locks DIR/LOCK with a POSIX record lock; an
// open-file-description query (F_OFD_GETLK) sees it without taking it, even
// when the writer is this very process.
bool store_in_use(const std::string& dir) {
  const int fd = ::open((dir + "/LOCK").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  const bool held = fcntl(fd, F_OFD_GETLK, &lock) == 0 && lock.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

uint32_t count_stores(const std::string& base) {
  uint32_t n = 0;
  std::error_code ec;
  while (std::filesystem::exists(base + "/" + std::to_string(n), ec)) n++;
  return n;
}

struct PartitionRun {
  Sink sink;
  PartitionFacts facts;
  Status status;
  explicit PartitionRun(size_t max) : sink(max) {}
};

void run_all(const ReconcileOptions& options, uint32_t n, std::vector<PartitionRun>& runs) {
  std::atomic<uint32_t> next{0};
  std::mutex progress_mu;
  uint32_t done = 0;  // GUARDED_BY(progress_mu)
  auto work = [&] {
    for (uint32_t p = next++; p < n; p = next++) {
      detail::PartitionChecker checker(Partition{p}, n, options.log, runs[p].sink);
      const std::string dir = options.data_dir + "/partitions/" + std::to_string(p);
      runs[p].status = checker.run(dir, runs[p].facts)
                           .with_context("partition " + std::to_string(p) + " (" + dir + ")");
      std::lock_guard lock(progress_mu);
      done++;
      if (options.on_partition) options.on_partition(done, n);
    }
  };
  size_t jobs = options.jobs != 0 ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min<size_t>(jobs, n);
  std::vector<std::jthread> workers;
  for (size_t j = 0; j < jobs; j++) workers.emplace_back(work);
}

void add_stats(Stats& to, const Stats& s) {
  to.accounts += s.accounts;
  to.transfers += s.transfers;
  to.history_entries += s.history_entries;
  to.offsets += s.offsets;
  to.sagas += s.sagas;
}

// The note on the consistent cut, when it left sagas out (after a crash,
// or a checkpoint whose log ran ahead of its stores); "" when none.
// Counts the stores short of their log's end into `stats`.
std::string cut_note(const std::vector<PartitionFacts>& facts, Stats& stats) {
  std::string behind;
  size_t listed = 0;
  for (const PartitionFacts& f : facts) {
    if (!f.tail.read || f.meta.next_offset >= f.tail.log_end) continue;
    stats.stores_short_of_log++;
    if (listed++ < 8) {
      behind += (behind.empty() ? "" : ", ") + std::string("partition ") + std::to_string(f.partition.value) +
                " at " + std::to_string(f.meta.next_offset.value) + " of " + std::to_string(f.tail.log_end.value);
    }
  }
  if (stats.sagas_in_flight_at_cut == 0) return "";
  if (listed > 8) behind += ", ...";
  return "the checks across partitions ran up to a consistent cut: " + std::to_string(stats.stores_short_of_log) +
         " stores end short of their log (" + behind + "), each at its applied offset; " +
         std::to_string(stats.sagas_in_flight_at_cut) +
         " sagas were in flight at the cut (a step applied in one store, its other step in the other "
         "store's unapplied log) and are not counted as mismatches";
}

}  // namespace

Result<Report> reconcile(const ReconcileOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const double cpu_started = cpu_seconds_now();
  const std::string base = options.data_dir + "/partitions";
  const uint32_t n = options.log != nullptr ? options.log->partition_count()
                     : options.partitions != 0 ? options.partitions
                                               : count_stores(base);
  if (n == 0 || !std::filesystem::is_directory(base)) {
    return Status::NotFound("no projection stores under " + base);
  }
  std::vector<PartitionRun> runs;
  runs.reserve(n);
  for (uint32_t p = 0; p < n; p++) runs.emplace_back(options.max_listed);
  run_all(options, n, runs);

  Report report;
  bool in_use = false;
  for (uint32_t p = 0; p < n; p++) {
    TALLY_RETURN_IF_ERROR(runs[p].status);
    in_use = in_use || store_in_use(base + "/" + std::to_string(p));
  }
  Sink cross(options.max_listed);
  std::vector<PartitionFacts> facts;
  for (PartitionRun& r : runs) facts.push_back(std::move(r.facts));
  detail::transfer_ids_across_partitions(facts, n, cross);
  if (in_use) {
    report.notes.push_back(
        "the stores are in use by a running process (tally serve): each partition shows what it "
        "has flushed, not all from the same moment, so the checks across partitions (totals, "
        "transit accounts, sagas) were skipped; run reconcile on a stopped node for them");
  } else {
    report.stats.sagas_in_flight_at_cut = detail::cross_check(facts, cross);
    if (std::string cut = cut_note(facts, report.stats); !cut.empty()) {
      report.notes.push_back(std::move(cut));
    }
  }
  if (options.log == nullptr) {
    report.notes.push_back("no log given: outcome counts were not compared with the log's records");
  }
  for (uint32_t p = 0; p <= n; p++) {
    Sink& sink = p < n ? runs[p].sink : cross;
    report.total_discrepancies += sink.total();
    for (Discrepancy& d : sink.kept()) {
      if (report.discrepancies.size() < options.max_listed) report.discrepancies.push_back(std::move(d));
    }
  }
  report.stats.partitions = n;
  for (const PartitionFacts& f : facts) add_stats(report.stats, f.stats);
  report.stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  report.stats.cpu_seconds = cpu_seconds_now() - cpu_started;
  return report;
}

}  // namespace tally::reconcile
