#include "bench/ledger_bench.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <boost/json/object.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "bench/data_dir.h"
#include "bench/figures.h"
#include "bench/ledger_figures.h"
#include "bench/ledger_run.h"
#include "bench/lookup_bench.h"
#include "bench/run_json.h"
#include "bench/saga_settle.h"
#include "bench/scale_bench.h"
#include "bench/thread_cpu.h"
#include "bench/workload.h"
#include "engine/core/codec.h"
#include "engine/core/digest.h"
#include "engine/core/partitioner.h"
#include "engine/core/temp_dir.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

namespace tally::bench {
namespace {

using Options = LedgerOptions;

struct PreparedRecord {
  Partition partition;
  std::vector<uint8_t> value;
  size_t commands;
};

// "name 1.23 s, name 0.45 s" of the entries of 5 ms or more.
std::string seconds_list(const std::map<std::string, double>& by_name) {
  std::string line;
  for (const auto& [name, seconds] : by_name) {
    if (seconds < 0.005) continue;
    char part[96];
    std::snprintf(part, sizeof part, "%s%s %.2f s", line.empty() ? "" : ", ", name.c_str(), seconds);
    line += part;
  }
  return line;
}

// "CPU by thread: ..." and "waited for a CPU: ..." of the timed part;
// sets what exited threads used (the process's `cpu` less the live threads').
void print_thread_cpu(TransferFigures& f, double cpu) {
  double live = 0;
  for (const auto& [name, seconds] : f.cpu_by_thread) live += seconds;
  f.cpu_exited_threads = std::max(0.0, cpu - live);
  std::printf("CPU by thread: %s, exited threads %.2f s\n", seconds_list(f.cpu_by_thread).c_str(),
              f.cpu_exited_threads);
  const std::string waits = seconds_list(f.cpu_wait_by_thread);
  std::printf("waited for a CPU (runnable, not running): %s\n", waits.empty() ? "none" : waits.c_str());
}

// Hands what a closed node freed back to the system. Its accounts were
// allocated on its pipeline threads, in their malloc arenas; the next node
// loads them on this thread, in another arena, so without this the freed
// copy stayed resident beside the new one.
void release_freed_memory() { malloc_trim(0); }

// RocksDB keys all of `node`'s stores wrote so far (PartitionStore::keys_written).
uint64_t store_keys_written(const Node& node) {
  uint64_t n = 0;
  for (uint32_t p = 0; p < node.partition_count(); p++) n += node.store(Partition{p}).keys_written();
  return n;
}

// Builds the transfer records before the clock starts (generation is the
// client's cost, not the ledger's); records are per partition, in id order.
std::vector<PreparedRecord> prepare(const Workload& w, uint32_t partitions, size_t batch,
                                    std::vector<std::array<u128, 2>>& expected) {
  std::vector<std::vector<CreateTransfer>> pending(partitions);
  std::vector<PreparedRecord> out;
  BatchBuilder builder;
  auto flush = [&](uint32_t p) {
    for (const CreateTransfer& t : pending[p]) builder.add(t);
    out.push_back({Partition{p}, builder.finish(), pending[p].size()});
    pending[p].clear();
  };
  for (uint64_t i = 1; i <= w.options().transfers; i++) {
    const CreateTransfer t = w.transfer(i);
    const uint32_t p = partition_of(t.debit_account_id, partitions).value;
    const uint64_t di = (t.debit_account_id.hi() - 1) * w.options().group_size + t.debit_account_id.lo() - 1;
    const uint64_t ci = (t.credit_account_id.hi() - 1) * w.options().group_size + t.credit_account_id.lo() - 1;
    expected[di][0] += t.amount.value();
    expected[ci][1] += t.amount.value();
    pending[p].push_back(t);
    if (pending[p].size() == batch) flush(p);
  }
  for (uint32_t p = 0; p < partitions; p++) {
    if (!pending[p].empty()) flush(p);
  }
  return out;
}

// Accounts go in appends of at most kAccountChunk commands, so that what
// the bench holds at once stays small whatever --accounts is (10,000,000
// accounts in one append held 5.7 GiB), and each record's outcomes are read
// once, not once per account.
constexpr uint64_t kAccountChunk = 64 * kMaxBatchCommands;

// Waits for the records `placed` names and checks that every account in
// them was created.
Status check_created(Node& node, const std::vector<Placement>& placed) {
  std::set<std::pair<uint32_t, uint64_t>> records;
  for (const Placement& p : placed) records.emplace(p.partition.value, p.offset.value);
  for (const auto& [partition, offset] : records) {
    if (!node.wait_applied(Partition{partition}, Offset{offset}, std::chrono::minutes(5))) {
      return Status::Timeout("account creation: partition " + std::to_string(partition) + " did not apply offset " +
                             std::to_string(offset) + " within 5 minutes");
    }
    TALLY_ASSIGN_OR_RETURN(std::optional<OffsetOutcomes> o, node.store(Partition{partition}).outcomes(Offset{offset}));
    if (!o) return Status::Internal("account creation: a record was quarantined");
    for (Outcome each : o->outcomes) {
      if (each != Outcome::created) return Status::Internal("account creation: " + std::string(outcome_name(each)));
    }
  }
  return Status::Ok();
}

Status create_accounts(Node& node, const Workload& w) {
  std::vector<Command> cmds;
  for (uint64_t first = 0; first < w.account_count(); first += kAccountChunk) {
    cmds.clear();
    for (uint64_t i = first; i < std::min(w.account_count(), first + kAccountChunk); i++) cmds.push_back(w.account(i));
    TALLY_ASSIGN_OR_RETURN(std::vector<Placement> placed, node.append(cmds, Clock::now() + std::chrono::minutes(5)));
    TALLY_RETURN_IF_ERROR(check_created(node, placed));
  }
  return node.wait_caught_up(std::chrono::minutes(5));
}

struct Latencies {
  std::mutex mu;
  std::vector<double> micros;
};

// Keeps at most `window` records appended but not yet applied: appenders
// wait for a slot; a watcher releases it when the record is applied.
class Window {
 public:
  explicit Window(size_t slots) : free_(slots) {}
  void acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return free_ > 0; });
    free_--;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      free_++;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t free_;
};

// Appends every record with `appenders` threads, at most `window` records
// in flight; each record's latency runs from its append call until its
// partition applied it.
Status run_appends(Node& node, const std::vector<PreparedRecord>& records, int appenders,
                   size_t window, double rate, Latencies& lat) {
  // Open loop (rate > 0): record i is offered when the transfers before it
  // are due at `rate`, whatever the node does; late records go at once.
  std::vector<double> due_s(records.size(), 0);
  for (size_t i = 1; rate > 0 && i < records.size(); i++) {
    due_s[i] = due_s[i - 1] + static_cast<double>(records[i - 1].commands) / rate;
  }
  const auto start = Clock::now();
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Status first_error;
  std::mutex err_mu;
  Window slots(window);
  std::vector<std::thread> threads;
  for (int t = 0; t < appenders; t++) {
    threads.emplace_back([&] {
      for (;;) {
        const size_t i = next.fetch_add(1);
        if (i >= records.size() || failed) return;
        const PreparedRecord& r = records[i];
        if (rate > 0) std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(due_s[i])));
        slots.acquire();
        const auto t0 = Clock::now();
        auto o = node.append_record(r.partition, r.value, r.commands, Clock::now() + std::chrono::minutes(10));
        if (!o.ok()) {
          std::lock_guard lock(err_mu);
          first_error = o.status();
          failed = true;
          slots.release();
          return;
        }
        // Watch for the apply on a short-lived thread so this one appends on.
        std::thread([&node, &lat, &slots, p = r.partition, off = *o, t0] {
          node.wait_applied(p, off, std::chrono::minutes(10));
          const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
          {
            std::lock_guard lock(lat.mu);
            lat.micros.push_back(us);
          }
          slots.release();
        }).detach();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < window; i++) slots.acquire();  // every watcher is done
  return first_error;
}

Status validate(Node& node, const Workload& w, const std::vector<std::array<u128, 2>>& expected) {
  for (uint64_t i = 0; i < w.account_count(); i++) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Account> a, node.account(w.account_id(i)));
    if (!a) return Status::Internal("account " + w.account_id(i).str() + " is missing");
    if (a->balances.debits_posted != expected[i][0] || a->balances.credits_posted != expected[i][1]) {
      return Status::Internal("account " + a->id.str() + " has wrong balances");
    }
  }
  uint64_t seen = 0;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    Status bad;
    TALLY_ASSIGN_OR_RETURN(size_t n, node.store(Partition{p}).scan("T", "U", false, 0,
        [&](std::string_view, std::string_view v) {
          auto t = decode_transfer(v);
          if (!t.ok()) { bad = t.status(); return false; }
          const CreateTransfer want = w.transfer(u128_lo(t->id.value()));
          if (t->kind == TransferKind::saga_credit) return true;  // a saga's credit leg: its transfer is counted at the source
          if (t->outcome != Outcome::created || t->debit_account_id != want.debit_account_id ||
              t->credit_account_id != want.credit_account_id || t->amount != want.amount) {
            bad = Status::Internal("transfer " + t->id.str() + " differs from the workload");
            return false;
          }
          seen++;
          return true;
        }));
    (void)n;
    TALLY_RETURN_IF_ERROR(bad);
  }
  if (seen != w.options().transfers) {
    return Status::Internal("found " + std::to_string(seen) + " transfers, expected " +
                            std::to_string(w.options().transfers));
  }
  return Status::Ok();
}

std::unique_ptr<Node> start_node(const std::string& dir, uint32_t partitions, uint64_t admission_window,
                                 const std::string& lookup_path) {
  auto log = open_embedded_log({.dir = dir + "/log", .partitions = partitions});
  if (!log.ok()) {
    std::fprintf(stderr, "%s\n", log.status().to_string().c_str());
    return nullptr;
  }
  NodeOptions options{.data_dir = dir};
  options.admission_window = admission_window;
  if (lookup_path == "store") options.pipeline.account_table_slots = 0;
  auto node = Node::open(std::move(log).value(), options);
  if (!node.ok()) {
    std::fprintf(stderr, "%s\n", node.status().to_string().c_str());
    return nullptr;
  }
  if (Status s = (*node)->start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return nullptr;
  }
  return std::move(node).value();
}

bool append_untimed(const std::string& dir, uint32_t partitions,
                    const std::vector<PreparedRecord>& records) {
  auto log = open_embedded_log({.dir = dir + "/log", .partitions = partitions});
  if (!log.ok()) {
    std::fprintf(stderr, "%s\n", log.status().to_string().c_str());
    return false;
  }
  for (const PreparedRecord& r : records) {
    if (auto a = (*log)->append_one(r.partition, r.value); !a.ok()) {
      std::fprintf(stderr, "%s\n", a.status().to_string().c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int run_ledger(const LedgerOptions& o, TransferFigures& figures) {
  const Workload w(o.workload);
  std::string dir = o.dir;
  if (dir.empty()) {
    Result<std::string> made = make_temp_dir("tally-bench");
    if (!made.ok()) { std::fprintf(stderr, "tally bench transfers: %s\n", made.status().to_string().c_str()); return 1; }
    dir = *made;
  } else if (Status made = create_data_dir(dir); !made.ok()) {
    std::fprintf(stderr, "tally bench transfers: %s\n", made.to_string().c_str());
    return 1;
  }
  std::unique_ptr<Node> node = start_node(dir, o.partitions, o.admission_window, o.lookup_path);
  if (!node) return 1;
  std::printf("tally bench transfers: %llu accounts (groups of %llu), %llu transfers, batch %zu, %s, %u partitions, embedded log at %s\n",
              (unsigned long long)o.workload.accounts, (unsigned long long)o.workload.group_size,
              (unsigned long long)o.workload.transfers, o.batch,
              o.workload.zipf > 0 ? ("zipf " + std::to_string(o.workload.zipf)).c_str() : "uniform",
              o.partitions, dir.c_str());
  const auto ta = Clock::now();
  Status s = create_accounts(*node, w);
  if (!s.ok()) { std::fprintf(stderr, "%s\n", s.to_string().c_str()); return 1; }
  std::printf("created %llu accounts in %.1f s (not timed)\n", (unsigned long long)w.account_count(), seconds_since(ta));
  std::vector<std::array<u128, 2>> expected(w.account_count(), {0, 0});
  const auto tp = Clock::now();
  const std::vector<PreparedRecord> records = prepare(w, o.partitions, o.batch, expected);
  std::printf("prepared %zu records in %.1f s (not timed)\n", records.size(), seconds_since(tp));

  Latencies lat;
  if (o.apply_only) {
    // A fresh node over the same directory finds the records in its log.
    node.reset();
    release_freed_memory();
    if (!append_untimed(dir, o.partitions, records)) return 1;
    std::printf("appended %zu records untimed; now timing the apply alone\n", records.size());
    node = start_node(dir, o.partitions, o.admission_window, o.lookup_path);
    if (!node) return 1;
  }
  Node& n = *node;
  const bool sagas = o.workload.cross > 0 || o.workload.wallets;
  SettleSampler sampler(n, sagas ? sample_cross(w, 2000) : std::vector<SagaSample>{});
  if (sagas && o.workload.wallets) std::printf("wallets: any account pays any other, each its own group; %zu cross-partition transfers sampled for settle latency\n", sampler.sampled());
  if (sagas && !o.workload.wallets) std::printf("cross-partition: %.0f%% of transfers run as sagas; %zu sampled for settle latency\n",
                         o.workload.cross * 100, sampler.sampled());
  if (o.rate > 0) std::printf("open loop: %.0f transfers/s offered\n", o.rate);
  std::fflush(stdout);
  LoadLookups load_lookups(n, w, expected, o.lookup_rate);
  const std::map<std::string, ThreadTimes> threads0 = thread_times_by_name();
  const auto t0 = Clock::now();
  const double cpu0 = cpu_seconds();
  const uint64_t keys0 = store_keys_written(n);
  load_lookups.start();
  if (sagas) sampler.start();
  if (!o.apply_only) s = run_appends(n, records, o.appenders, o.window, o.rate, lat);
  if (s.ok()) s = n.wait_caught_up(std::chrono::minutes(10));
  if (s.ok() && sagas) s = wait_sagas_settled(n, std::chrono::minutes(10));  // done when every saga is
  const double secs = seconds_since(t0);
  const double cpu = cpu_seconds() - cpu0;
  for (const auto& [name, t] : thread_times_delta(threads0, thread_times_by_name())) {
    figures.cpu_by_thread[name] = t.cpu;
    figures.cpu_wait_by_thread[name] = t.waited;
  }
  Result<LookupFigures> under_load = load_lookups.finish();
  if (s.ok() && !under_load.ok()) s = under_load.status();
  if (!s.ok()) { std::fprintf(stderr, "%s\n", s.to_string().c_str()); return 1; }
  const double tps = static_cast<double>(o.workload.transfers) / secs;
  sampler.finish(std::chrono::seconds(5));
  std::printf("%.0f transfers/s (%llu in %.2f s), appended durably and applied%s\n", tps,
              (unsigned long long)o.workload.transfers, secs, sagas ? ", every saga settled" : "");
  std::printf("admission: window %llu commands, %llu appends admitted (waits included), %llu refused\n",
              (unsigned long long)n.in_flight().window(), (unsigned long long)n.in_flight().admitted_total(),
              (unsigned long long)n.in_flight().refused_total());
  std::printf("CPU: %.2f s over %.2f s wall (%.2f µs of CPU per transfer, %.1f cores busy)\n", cpu,
              secs, cpu * 1e6 / static_cast<double>(o.workload.transfers), cpu / secs);
  print_thread_cpu(figures, cpu);
  if (sagas) {
    // The sampler is the bench's observer (polling sagas through RocksDB),
    // not the engine's work. It may poll a little past the timed part: an
    // upper bound on what it took from it (finish() above stopped it).
    const double observer = std::min(sampler.cpu_seconds(), cpu);
    figures.observer_cpu_seconds = observer;
    std::printf("CPU without the bench's settle sampler (%.2f s of it): %.2f µs per transfer\n", observer,
                (cpu - observer) * 1e6 / static_cast<double>(o.workload.transfers));
  }
  const uint64_t keys = store_keys_written(n) - keys0;
  std::printf("store: %llu RocksDB keys written (puts and deletes), %.2f per transfer\n", (unsigned long long)keys,
              static_cast<double>(keys) / static_cast<double>(o.workload.transfers));
  std::printf("record latency (append to applied): p50 %.1f ms, p99 %.1f ms, p100 %.1f ms\n",
              percentile(lat.micros, 0.5) / 1000, percentile(lat.micros, 0.99) / 1000,
              percentile(lat.micros, 1.0) / 1000);
  if (o.lookup_rate > 0) print_lookups("balance lookups under load (one reader)", *under_load, false);
  figures.complete = true;
  figures.transfers = o.workload.transfers;
  figures.records = records.size();
  figures.seconds = secs;
  figures.cpu_seconds = cpu;
  figures.tps = tps;
  figures.cpu_us_per_transfer = cpu * 1e6 / static_cast<double>(o.workload.transfers);
  figures.keys_written = keys;
  figures.keys_per_transfer = static_cast<double>(keys) / static_cast<double>(o.workload.transfers);
  figures.latency_p50_ms = percentile(lat.micros, 0.5) / 1000;
  figures.latency_p99_ms = percentile(lat.micros, 0.99) / 1000;
  figures.latency_p100_ms = percentile(lat.micros, 1.0) / 1000;
  figures.admission_window = n.in_flight().window();
  figures.admitted = n.in_flight().admitted_total();
  figures.refused = n.in_flight().refused_total();
  if (o.lookup_rate > 0) figures.lookups_under_load = *under_load;
  figures.sagas = sagas;
  if (sagas) figures.settle = report_settle(n, sampler);
  for (const PartitionStatus& st : n.status()) {
    std::printf("  partition %u: applied %llu records, digest %s\n", st.partition.value,
                (unsigned long long)st.applied.value, Digest::hex(st.digest).c_str());
    figures.digests.emplace_back(st.partition.value, Digest::hex(st.digest));
    figures.applied_records.push_back(st.applied.value);
  }
  if (o.validate) {
    const auto tv = Clock::now();
    s = validate(n, w, expected);
    figures.validated = s.ok();
    std::printf("validate: %s (%.1f s)\n", s.ok() ? "every account and transfer checked" : s.to_string().c_str(),
                seconds_since(tv));
  }
  if (s.ok() && o.lookups > 0) {
    Result<LookupFigures> idle = time_lookups(n, w, expected, static_cast<uint64_t>(o.lookups));
    if (idle.ok()) {
      print_lookups("balance lookups (idle)", *idle, true);
      figures.lookups_idle = *idle;
    } else {
      s = idle.status();
      std::fprintf(stderr, "%s\n", s.to_string().c_str());
    }
  }
  n.stop();
  node.reset();
  release_freed_memory();
  if (o.dir.empty() && !o.keep) std::filesystem::remove_all(dir);
  return s.ok() ? 0 : 1;
}

void print_ledger_run(const JsonStdout& out, boost::json::object header, const char* name,
                      const TransferFigures& f, int rc) {
  if (!out.enabled() || !f.complete) return;
  header["run"] = name;
  header["ok"] = rc == 0;
  add_figures(header, f);
  out.print(header);
}

namespace {

// --compare: the same workload with no cross-partition transfers, then as
// asked, in one process; a last line puts the two side by side.
int compare(const Options& o, const JsonStdout& out, const boost::json::object& header) {
  Options same = o;
  same.workload.cross = 0;
  same.workload.wallets = false;
  if (o.workload.wallets) same.workload.group_size = 10;
  TransferFigures a, b;
  std::printf("== same partition only ==\n");
  boost::json::object h = header;
  h["started"] = utc_now_iso();
  const int rc_a = run_ledger(same, a);
  print_ledger_run(out, h, "same_partition", a, rc_a);
  if (rc_a != 0) return rc_a;
  if (o.workload.wallets) {
    std::printf("\n== wallets (any to any) ==\n");
  } else {
    std::printf("\n== %.0f%% cross-partition ==\n", o.workload.cross * 100);
  }
  h["started"] = utc_now_iso();
  const int rc_b = run_ledger(o, b);
  print_ledger_run(out, h, o.workload.wallets ? "wallets" : "cross", b, rc_b);
  if (rc_b != 0) return rc_b;
  const std::string what = o.workload.wallets ? std::string("wallets") :
      std::to_string(static_cast<int>(o.workload.cross * 100)) + "% cross";
  std::printf("\ncompare: same partition %.0f transfers/s (%.2f µs CPU each); %s %.0f transfers/s "
              "(%.2f µs CPU each), %.2fx the throughput, %.2fx the CPU; saga settle p50 %.1f ms, p99 %.1f ms\n",
              a.tps, a.cpu_us_per_transfer, what.c_str(), b.tps, b.cpu_us_per_transfer,
              a.tps > 0 ? b.tps / a.tps : 0, a.cpu_us_per_transfer > 0 ? b.cpu_us_per_transfer / a.cpu_us_per_transfer : 0,
              b.settle.observed_p50_ms, b.settle.observed_p99_ms);
  std::printf("compare: RocksDB keys written per transfer: same partition %.2f, %s %.2f (%.2fx)\n",
              a.keys_per_transfer, what.c_str(), b.keys_per_transfer,
              a.keys_per_transfer > 0 ? b.keys_per_transfer / a.keys_per_transfer : 0);
  return 0;
}

WorkloadOptions with_partitions(WorkloadOptions w, uint64_t partitions) {
  w.partitions = static_cast<uint32_t>(partitions);
  return w;
}

// Reads --scale-partitions / --scale-accounts into `scale`; 2 (after a
// message naming the option) when a list or its combination is refused.
int check_scale(const Options& o, const std::string& partitions, const std::string& accounts, ScaleOptions& scale) {
  if (partitions.empty() && accounts.empty()) return 0;
  const auto refuse = [](const std::string& why) {
    std::fprintf(stderr, "tally bench: %s\n", why.c_str());
    return 2;
  };
  if (!partitions.empty() && !accounts.empty()) return refuse("--scale-partitions and --scale-accounts are separate runs; give one");
  if (o.compare || !o.dir.empty()) return refuse("--scale-* runs each value in a fresh directory of its own: no --compare, no --data");
  if (scale.rounds < 1 || scale.rounds > 10) return refuse("--scale-rounds must be in 1..10");
  scale.axis = partitions.empty() ? ScaleAxis::accounts : ScaleAxis::partitions;
  Result<std::vector<uint64_t>> values = partitions.empty()
      ? parse_scale_list("--scale-accounts", accounts, 100'000'000)
      : parse_scale_list("--scale-partitions", partitions, 64);
  if (!values.ok()) return refuse(values.status().message());
  for (uint64_t v : *values) {
    if (scale.axis == ScaleAxis::accounts && (v < 2 || v % o.workload.group_size != 0)) {
      return refuse("--scale-accounts: " + std::to_string(v) + " is not a multiple of --group (" +
                    std::to_string(o.workload.group_size) + ")");
    }
    if (scale.axis == ScaleAxis::partitions && o.workload.cross > 0 &&
        !Workload(with_partitions(o.workload, v)).spans_partitions()) {
      return refuse("--scale-partitions: --cross needs account groups in at least two partitions, and " +
                    std::to_string(v) + " partition(s) have them in one");
    }
  }
  scale.values = std::move(values).value();
  return 0;
}

}  // namespace

int ledger_bench_main(const std::vector<std::string>& args) {
  Options o;
  std::string scale_partitions, scale_accounts;
  ScaleOptions scale;
  po::options_description desc("tally bench transfers [options]\nOptions");
  desc.add_options()("help,h", "this help")
      ("accounts", po::value(&o.workload.accounts)->default_value(10'000), "accounts")
      ("group", po::value(&o.workload.group_size)->default_value(10), "accounts per partition group")
      ("transfers", po::value(&o.workload.transfers)->default_value(10'000'000), "transfers")
      ("batch", po::value(&o.batch)->default_value(kMaxBatchCommands), "commands per record (max 8189)")
      ("zipf", po::value(&o.workload.zipf)->default_value(0), "Zipf exponent for the debit account (0: uniform)")
      ("partitions", po::value(&o.partitions)->default_value(8), "log partitions")
      ("appenders", po::value(&o.appenders)->default_value(4), "concurrent appending threads")
      ("window", po::value(&o.window)->default_value(32), "records in flight (appended, not yet applied), at most")
      ("seed", po::value(&o.workload.seed)->default_value(42), "workload seed")
      ("data", po::value(&o.dir), "directory (default: a fresh temporary one, removed after)")
      ("keep", po::bool_switch(&o.keep), "keep the temporary directory")
      ("apply-only", po::bool_switch(&o.apply_only), "append first (untimed), then time only the apply")
      ("cross", po::value(&o.workload.cross)->default_value(0), "fraction of transfers crediting another partition (sagas), 0..1")
      ("compare", po::bool_switch(&o.compare), "with --cross: first the same run without cross-partition transfers")
      ("validate", po::bool_switch(&o.validate), "re-read every account and transfer afterwards")
      ("lookups", po::value(&o.lookups)->default_value(1'000'000), "balance lookups timed after the run, each checked (0: none; at most 100000000)")
      ("lookup-rate", po::value(&o.lookup_rate)->default_value(2'000), "lookups/s by one reader thread while the transfers are applied (0: none)")
      ("workload", po::value(&o.workload_name)->default_value("groups"), "groups (transfers inside a group; --cross F sends F across) or wallets (any account pays any other, each its own group)")
      ("rate", po::value(&o.rate)->default_value(0), "open loop: transfers/s offered at a steady pace (0: closed loop)")
      ("admission-window", po::value(&o.admission_window)->default_value(NodeOptions{}.admission_window), "the node's admission window in commands (0: off)")
      ("lookup-path", po::value(&o.lookup_path)->default_value("table"), "where balance lookups read: table (the account table each pipeline publishes on commit, RocksDB for misses) or store (RocksDB only)")
      ("json", po::bool_switch(&o.json), "one JSON object per run on stdout (the text goes to stderr)")
      ("scale-partitions", po::value(&scale_partitions), "LIST: one run per partition count, e.g. 1,2: each beside the first, with the ratio")
      ("scale-accounts", po::value(&scale_accounts), "LIST: one run per account count, e.g. 10000,1000000: each beside the first, with the ratio")
      ("scale-rounds", po::value(&scale.rounds)->default_value(1), "with --scale-*: run the list this many times, interleaved (1..10)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (o.lookup_path != "table" && o.lookup_path != "store") {
    std::fprintf(stderr, "tally bench: --lookup-path must be table or store, not %s\n", o.lookup_path.c_str());
    return 2;
  }
  if (o.batch == 0 || o.batch > kMaxBatchCommands) {
    std::fprintf(stderr, "tally bench: --batch must be in 1..%zu\n", kMaxBatchCommands);
    return 2;
  }
  if (o.workload.accounts < 2 || (o.workload.group_size < 2 && o.workload_name != "wallets") ||
      o.workload.accounts % o.workload.group_size != 0) {
    std::fprintf(stderr, "tally bench: --accounts must be a multiple of --group (>= 2)\n");
    return 2;
  }
  if (o.lookups < 0 || o.lookups > 100'000'000) {
    std::fprintf(stderr, "tally bench: --lookups must be in 0..100000000\n");
    return 2;
  }
  if (!(o.lookup_rate >= 0 && o.lookup_rate <= 1e7)) {
    std::fprintf(stderr, "tally bench: --lookup-rate must be in 0..10000000\n");
    return 2;
  }
  o.workload.partitions = o.partitions;
  if (o.workload_name != "groups" && o.workload_name != "wallets") {
    std::fprintf(stderr, "tally bench: --workload must be groups or wallets, not %s\n", o.workload_name.c_str());
    return 2;
  }
  o.workload.wallets = o.workload_name == "wallets";
  if (!(o.rate >= 0 && o.rate <= 1e9)) {
    std::fprintf(stderr, "tally bench: --rate must be in 0..1000000000 transfers/s\n");
    return 2;
  }
  if (o.workload.wallets && o.workload.cross > 0) {
    std::fprintf(stderr, "tally bench: --cross is for --workload groups; wallets cross partitions by themselves\n");
    return 2;
  }
  if (o.workload.cross < 0 || o.workload.cross > 1) {
    std::fprintf(stderr, "tally bench: --cross must be in 0..1\n");
    return 2;
  }
  if (o.workload.cross > 0 && !Workload(o.workload).spans_partitions()) {
    std::fprintf(stderr, "tally bench: --cross needs account groups in at least two partitions\n");
    return 2;
  }
  if (int rc = check_scale(o, scale_partitions, scale_accounts, scale); rc != 0) return rc;
  const boost::json::object header = run_header("transfers", args, vm);
  const JsonStdout out(o.json);
  if (!scale.values.empty()) return scale_main(o, scale, out, header);
  if (!o.compare || (o.workload.cross == 0 && !o.workload.wallets)) {
    TransferFigures f;
    const int rc = run_ledger(o, f);
    print_ledger_run(out, header, "single", f, rc);
    return rc;
  }
  return compare(o, out, header);
}

}  // namespace tally::bench
