#include "bench/lookup_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "bench/figures.h"

namespace tally::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The lookups' own stream, apart from the workload's transfers.
uint64_t lookup_seed(const Workload& w) { return w.options().seed ^ 0x6C6F6F6B75707321ull; }

int64_t nanos(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Fills the percentiles of `v` (sorted here).
void percentiles(std::vector<int64_t>& v, LookupFigures& f) {
  f.lookups = v.size();
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return static_cast<double>(percentile_of_sorted<int64_t>(v, q)) / 1000.0; };
  f.p50_us = at(0.5);
  f.p99_us = at(0.99);
  f.p999_us = at(0.999);
  f.max_us = static_cast<double>(v.back()) / 1000.0;
}

// Median cost of two back-to-back clock readings: what each figure includes
// besides the lookup.
double clock_pair_ns() {
  std::vector<int64_t> v(10'000);
  for (int64_t& x : v) {
    const auto a = Clock::now();
    const auto b = Clock::now();
    x = nanos(a, b);
  }
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return static_cast<double>(v[v.size() / 2]);
}

}  // namespace

Result<LookupFigures> time_lookups(const Node& node, const Workload& w, const ExpectedBalances& expected,
                                   uint64_t count) {
  LookupFigures f;
  uint64_t rng = lookup_seed(w);
  std::vector<uint64_t> picks(count);
  for (uint64_t& i : picks) i = w.pick_account(rng);
  std::vector<AccountId> ids(count);
  for (uint64_t k = 0; k < count; k++) ids[k] = w.account_id(picks[k]);
  std::vector<int64_t> ns(count);
  const auto t0 = Clock::now();
  for (uint64_t k = 0; k < count; k++) {
    const auto a = Clock::now();
    Result<std::optional<Account>> r = node.account(ids[k]);
    const auto b = Clock::now();
    ns[k] = nanos(a, b);
    if (!r.ok()) return r.status();
    const std::optional<Account>& acc = *r;
    if (!acc) return Status::Internal("lookup: account " + ids[k].str() + " is missing");
    const std::array<u128, 2>& want = expected[picks[k]];
    if (acc->balances.debits_posted != want[0] || acc->balances.credits_posted != want[1]) {
      return Status::Internal("lookup: account " + ids[k].str() + " has debits posted " +
                              u128_to_string(acc->balances.debits_posted) + ", credits posted " +
                              u128_to_string(acc->balances.credits_posted) + "; expected " +
                              u128_to_string(want[0]) + ", " + u128_to_string(want[1]));
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  percentiles(ns, f);
  f.per_second = secs > 0 ? static_cast<double>(count) / secs : 0;
  f.clock_ns = clock_pair_ns();
  return f;
}

LoadLookups::LoadLookups(const Node& node, const Workload& w, const ExpectedBalances& expected, double rate)
    : node_(node), w_(w), expected_(expected), rate_(rate) {}

LoadLookups::~LoadLookups() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void LoadLookups::start() {
  if (rate_ <= 0) return;
  nanos_.reserve(static_cast<size_t>(std::min(rate_ * 600, 1e8)));
  thread_ = std::thread([this] { loop(); });
}

void LoadLookups::loop() {
  const double cpu0 = thread_cpu_seconds();
  uint64_t rng = lookup_seed(w_) + 1;
  std::vector<std::array<u128, 2>> seen(w_.account_count(), {0, 0});
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate_));
  auto slot = Clock::now();
  while (!stop_) {
    const uint64_t i = w_.pick_account(rng);
    const AccountId id = w_.account_id(i);
    std::this_thread::sleep_until(slot);
    slot += period;
    const auto a = Clock::now();
    Result<std::optional<Account>> r = node_.account(id);
    const auto b = Clock::now();
    nanos_.push_back(nanos(a, b));
    if (!r.ok()) { error_ = r.status(); break; }
    if (!*r) { error_ = Status::Internal("lookup under load: account " + id.str() + " is missing"); break; }
    const Balances& got = (*r)->balances;
    std::array<u128, 2>& before = seen[i];
    const std::array<u128, 2>& final_ = expected_[i];
    if (got.debits_posted < before[0] || got.credits_posted < before[1] || got.debits_posted > final_[0] ||
        got.credits_posted > final_[1]) {
      error_ = Status::Internal("lookup under load: account " + id.str() + " has debits posted " +
                                u128_to_string(got.debits_posted) + ", credits posted " +
                                u128_to_string(got.credits_posted) + ": below what was seen before or above the final balances");
      break;
    }
    before = {got.debits_posted, got.credits_posted};
    // Behind by more than a second (the machine was busy): do not catch up in a burst.
    if (Clock::now() - slot > std::chrono::seconds(1)) slot = Clock::now();
  }
  cpu_seconds_ = thread_cpu_seconds() - cpu0;
}

Result<LookupFigures> LoadLookups::finish() {
  LookupFigures f;
  if (!thread_.joinable()) return f;
  stop_ = true;
  thread_.join();
  TALLY_RETURN_IF_ERROR(error_);
  percentiles(nanos_, f);
  f.cpu_seconds = cpu_seconds_;
  return f;
}

void print_lookups(const char* label, const LookupFigures& f, bool idle) {
  if (idle) {
    std::printf("%s: %llu lookups, p50 %.2f µs, p99 %.2f µs, p99.9 %.2f µs, max %.1f µs; %.0f lookups/s on one thread "
                "(each time includes ~%.0f ns of clock readings); every balance as expected\n",
                label, (unsigned long long)f.lookups, f.p50_us, f.p99_us, f.p999_us, f.max_us, f.per_second, f.clock_ns);
  } else {
    std::printf("%s: %llu lookups, p50 %.2f µs, p99 %.2f µs, p99.9 %.2f µs, max %.1f µs; reader CPU %.2f s "
                "(included in the CPU above); every balance between what was seen before and the final one\n",
                label, (unsigned long long)f.lookups, f.p50_us, f.p99_us, f.p999_us, f.max_us, f.cpu_seconds);
  }
}

}  // namespace tally::bench
