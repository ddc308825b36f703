#include "bench/expire_bench.h"

#include <boost/json/object.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench/data_dir.h"
#include "bench/figures.h"
#include "bench/run_json.h"
#include "engine/core/bytes.h"
#include "engine/core/codec.h"
#include "engine/core/temp_dir.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "recovery/scheduler.h"

namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

namespace tally::bench {
namespace {

struct Options {
  uint64_t pending = 1'000'000;
  uint32_t timeout_s = 1;
  uint64_t idle_timers = 10'000'000;
  uint64_t ticks = 1000;
  uint32_t partitions = 8;
  std::string dir;
  bool keep = false;
  bool skip_expire = false;
  bool skip_idle = false;
  bool json = false;  // one JSON object on stdout (bench/run_json.h)
};

uint64_t wall_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}
[[noreturn]] void fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "tally bench expire: %s: %s\n", what.c_str(), s.to_string().c_str());
  std::exit(1);
}
template <class T>
T check(Result<T> r, const std::string& what) {
  if (!r.ok()) fail(what, r.status());
  return std::move(r).value();
}
void check(const Status& s, const std::string& what) {
  if (!s.ok()) fail(what, s);
}

std::unique_ptr<Node> open_node(const std::string& dir, uint32_t partitions, bool scheduler) {
  std::filesystem::create_directories(dir);
  auto log = check(open_embedded_log({.dir = dir + "/log", .partitions = partitions}), "opening the log");
  NodeOptions o{.data_dir = dir + "/data"};
  o.run_scheduler = scheduler;
  auto node = check(Node::open(std::move(log), o), "opening the node");
  check(node->start(), "starting the node");
  return node;
}

size_t count_keys(const Node& node, const char* from, const char* to) {
  size_t n = 0;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    n += check(node.store(Partition{p}).scan(from, to, false, 0, [](auto, auto) { return true; }),
               "counting keys");
  }
  return n;
}

uint64_t expired_outcomes(Node& node) {
  uint64_t n = 0;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    n += node.pipeline(Partition{p}).metrics().outcomes[static_cast<uint16_t>(Outcome::expired)].load();
  }
  return n;
}

// 64 account pairs, spread over the partitions by their upper 64 bits.
constexpr uint64_t kGroups = 64;
u128 debit_of(uint64_t g) { return (u128{g + 1} << 64) | 1; }
u128 credit_of(uint64_t g) { return (u128{g + 1} << 64) | 2; }

// Creates the accounts and the pending transfers; returns the latest deadline.
Timestamp create_pending(Node& node, const Options& o) {
  std::vector<Command> commands;
  for (uint64_t g = 0; g < kGroups; g++) {
    commands.push_back(CreateAccount{AccountId(debit_of(g)), 0, 0, 0, 1, 1, 0, 0});
    commands.push_back(CreateAccount{AccountId(credit_of(g)), 0, 0, 0, 1, 1, 0, 0});
  }
  check(node.append(commands).status(), "creating accounts");
  const size_t chunk = kMaxBatchCommands * o.partitions;
  for (uint64_t first = 0; first < o.pending; first += chunk) {
    commands.clear();
    for (uint64_t i = first; i < std::min<uint64_t>(o.pending, first + chunk); i++) {
      CreateTransfer t;
      t.debit_account_id = AccountId(debit_of(i % kGroups));
      t.id = TransferId(make_u128(t.debit_account_id.hi(), i + 1));  // routes with its debit account
      t.credit_account_id = AccountId(credit_of(i % kGroups));
      t.amount = Amount(i % 1000 + 1);
      t.ledger = 1;
      t.code = 1;
      t.flags = transfer_flags::pending;
      t.timeout_seconds = o.timeout_s;
      commands.push_back(t);
    }
    check(node.append(commands).status(), "appending pending transfers");
  }
  check(node.wait_caught_up(std::chrono::minutes(30)), "applying pending transfers");
  Timestamp latest;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    latest = std::max(latest, check(node.store(Partition{p}).meta(), "reading meta").last_timestamp);
  }
  return Timestamp{latest.ns + uint64_t{o.timeout_s} * 1'000'000'000};
}

// Each part fills `fig` with the figures it prints.
int run_expire(const Options& o, const std::string& dir, boost::json::object& fig) {
  std::printf("expire: %llu pending transfers, timeout %u s, %u partitions, embedded log (fsync'd) in %s\n",
              static_cast<unsigned long long>(o.pending), o.timeout_s, o.partitions, dir.c_str());
  Timestamp deadline;
  {
    auto node = open_node(dir, o.partitions, false);
    const auto t0 = Clock::now();
    deadline = create_pending(*node, o);
    std::printf("  created and applied in %.1f s; %zu timers in the index\n", seconds_since(t0),
                count_keys(*node, "W", "X"));
  }
  while (wall_ns() < deadline.ns) std::this_thread::sleep_for(std::chrono::milliseconds(10));

  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  auto node = open_node(dir, o.partitions, true);
  while (expired_outcomes(*node) < o.pending) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double secs = seconds_since(t0);
  const double cpu = cpu_seconds() - cpu0;
  check(node->wait_caught_up(std::chrono::minutes(5)), "catching up");
  // The scheduler counts an append after it returns, which can be after the
  // record applied: stop it first so its counters are final.
  node->stop();
  const SchedulerStats s = node->scheduler().stats();
  std::printf("  expired %llu in %.2f s: %.0f expiries/s (CPU %.2f s, %.2f us per expiry)\n",
              static_cast<unsigned long long>(o.pending), secs, static_cast<double>(o.pending) / secs, cpu,
              cpu * 1e6 / static_cast<double>(o.pending));
  std::printf("  ExpirePending appended: %llu; timer index keys read: %llu; scans: %llu\n",
              static_cast<unsigned long long>(s.expiries_appended),
              static_cast<unsigned long long>(s.keys_visited), static_cast<unsigned long long>(s.scans));
  const size_t pending_left = count_keys(*node, "P", "Q");
  const size_t timers_left = count_keys(*node, "W", "X");
  fig = {{"pending", o.pending}, {"seconds", secs}, {"expiries_per_second", static_cast<double>(o.pending) / secs},
         {"cpu_seconds", cpu}, {"cpu_us_per_expiry", cpu * 1e6 / static_cast<double>(o.pending)},
         {"expiries_appended", s.expiries_appended}, {"timer_keys_read", s.keys_visited}, {"scans", s.scans},
         {"pending_left", pending_left}, {"timers_left", timers_left},
         {"expired_outcomes", expired_outcomes(*node)}};
  std::printf("  check: %zu transfers still pending, %zu timers left, %llu expired outcomes\n", pending_left,
              timers_left, static_cast<unsigned long long>(expired_outcomes(*node)));
  return pending_left == 0 && timers_left == 0 && expired_outcomes(*node) == o.pending ? 0 : 1;
}

int run_idle(const Options& o, const std::string& dir, boost::json::object& fig) {
  std::printf("idle tick: %llu timers over %u partitions, none due\n",
              static_cast<unsigned long long>(o.idle_timers), o.partitions);
  std::filesystem::create_directories(dir + "/stores");
  std::vector<std::unique_ptr<PartitionStore>> stores;
  std::vector<const PartitionStore*> readers;
  const uint64_t now = wall_ns();
  const auto t0 = Clock::now();
  for (uint32_t p = 0; p < o.partitions; p++) {
    stores.push_back(check(PartitionStore::open({.dir = dir + "/stores/" + std::to_string(p),
                                                 .partition = Partition{p}, .partition_count = o.partitions}),
                           "opening a store"));
    readers.push_back(stores.back().get());
    PartitionMeta meta = check(stores.back()->meta(), "reading meta");
    meta.last_timestamp = Timestamp{now};
    StoreBatch b;
    b.stage_meta(meta);
    check(stores.back()->commit(b), "writing meta");
  }
  // Deadlines from an hour on, one per microsecond, dealt round robin.
  std::string routing(16, '\0');
  const uint64_t chunk = 200'000;
  for (uint64_t first = 0; first < o.idle_timers; first += chunk) {
    std::vector<StoreBatch> batches(o.partitions);
    for (uint64_t i = first; i < std::min(o.idle_timers, first + chunk); i++) {
      const uint32_t p = static_cast<uint32_t>(i % o.partitions);
      const Timer t{Timestamp{now + 3'600'000'000'000ull + i * 1000}, TimerKind::pending_expiry, u128{i} + 1,
                    AccountId(u128{p + 1} << 64)};
      put_be128(routing.data(), t.routing.value());
      batches[p].put(keys::timer(t), routing);
    }
    for (uint32_t p = 0; p < o.partitions; p++) check(stores[p]->commit(batches[p]), "writing timers");
  }
  for (auto& s : stores) check(s->flush(), "flushing");
  std::printf("  wrote and flushed in %.1f s\n", seconds_since(t0));

  auto log = check(open_embedded_log({.dir = dir + "/idle-log", .partitions = o.partitions}), "opening a log");
  TimerScheduler scheduler(SchedulerDeps{readers, log.get(), [](Partition) { return Offset{0}; },
                                         [now] { return Timestamp{now}; }},
                           SchedulerOptions{});
  for (uint32_t p = 0; p < o.partitions; p++) check(scheduler.tick(Partition{p}).status(), "first tick");

  // Woken as a commit wakes it: each commit sets one more timer, after all
  // the others (recovery/timer_scan.h: no scan unless a noted or known
  // deadline is due). Only the ticks are timed.
  uint64_t visited = 0, found = 0;
  double woken = 0;
  for (uint64_t k = 0; k < o.ticks; k++) {
    for (uint32_t p = 0; p < o.partitions; p++) {
      const Timer t{Timestamp{now + 7'200'000'000'000ull + k * 1000}, TimerKind::pending_expiry,
                    u128{o.idle_timers + k * o.partitions + p} + 1, AccountId(u128{p + 1} << 64)};
      put_be128(routing.data(), t.routing.value());
      StoreBatch b;
      b.put(keys::timer(t), routing);
      check(stores[p]->commit(b), "writing a timer");
      scheduler.wake(Partition{p});
      const auto t1 = Clock::now();
      const TickReport r = check(scheduler.tick(Partition{p}), "tick");
      woken += seconds_since(t1);
      visited += r.visited;
      found += r.found;
    }
  }
  const auto t2 = Clock::now();
  for (uint64_t k = 0; k < o.ticks; k++) {
    for (uint32_t p = 0; p < o.partitions; p++) (void)scheduler.tick(Partition{p});
  }
  const double unwoken = seconds_since(t2);
  const double n = static_cast<double>(o.ticks * o.partitions);
  std::printf("  tick woken by a commit of a later timer: %.2f us per partition, %.2f index keys read, %llu timers found\n",
              woken * 1e6 / n, static_cast<double>(visited) / n, static_cast<unsigned long long>(found));
  std::printf("  tick not woken (no deadline due): %.3f us per partition, no key read\n", unwoken * 1e6 / n);
  fig = {{"timers", o.idle_timers}, {"ticks", o.ticks}, {"woken_us_per_partition_tick", woken * 1e6 / n},
         {"keys_read_per_partition_tick", static_cast<double>(visited) / n}, {"timers_found", found},
         {"unwoken_us_per_partition_tick", unwoken * 1e6 / n}};
  return found == 0 ? 0 : 1;
}

}  // namespace

int expire_bench_main(const std::vector<std::string>& args) {
  Options o;
  po::options_description desc("tally bench expire [options]\nOptions");
  desc.add_options()("help,h", "this help")
      ("pending", po::value(&o.pending)->default_value(1'000'000), "pending transfers to expire")
      ("timeout", po::value(&o.timeout_s)->default_value(1), "their timeout, in seconds (1..60)")
      ("idle-timers", po::value(&o.idle_timers)->default_value(10'000'000), "timers, none due, for the idle tick")
      ("ticks", po::value(&o.ticks)->default_value(1000), "idle tick rounds (each ticks every partition)")
      ("partitions", po::value(&o.partitions)->default_value(8), "log partitions (1..64)")
      ("data", po::value(&o.dir), "directory (default: a fresh temporary one, removed after)")
      ("keep", po::bool_switch(&o.keep), "keep the directory")
      ("skip-expire", po::bool_switch(&o.skip_expire), "only the idle tick")
      ("skip-idle", po::bool_switch(&o.skip_idle), "only the expiry")
      ("json", po::bool_switch(&o.json), "one JSON object on stdout (the text goes to stderr)");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(desc).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (o.timeout_s < 1 || o.timeout_s > 60 || o.partitions < 1 || o.partitions > 64 || o.pending < 1 ||
      o.ticks < 1) {
    std::fprintf(stderr, "tally bench expire: --timeout must be in 1..60, --partitions in 1..64, "
                         "--pending and --ticks at least 1\n");
    return 2;
  }
  const bool temporary = o.dir.empty();
  if (temporary) {
    Result<std::string> made = make_temp_dir("tally-bench-expire");
    if (!made.ok()) {
      std::fprintf(stderr, "tally bench expire: %s\n", made.status().to_string().c_str());
      return 1;
    }
    o.dir = *made;
  } else if (Status made = create_data_dir(o.dir); !made.ok()) {
    std::fprintf(stderr, "tally bench expire: %s\n", made.to_string().c_str());
    return 1;
  }
  boost::json::object out = run_header("expire", args, vm);
  const JsonStdout json_out(o.json);
  int rc = 0;
  boost::json::object fig;
  if (!o.skip_expire) {
    rc |= run_expire(o, o.dir + "/expire", fig);
    out["expire"] = std::move(fig);
  }
  if (!o.skip_idle) {
    fig = {};
    rc |= run_idle(o, o.dir + "/idle", fig);
    out["idle"] = std::move(fig);
  }
  out["ok"] = rc == 0;
  json_out.print(out);
  if (temporary && !o.keep) std::filesystem::remove_all(o.dir);
  return rc;
}

}  // namespace tally::bench
