#include "bench/saga_settle.h"

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <cstdio>

#include "bench/figures.h"
#include "engine/core/clock.h"
#include "engine/core/partitioner.h"
#include "recovery/saga_status.h"

namespace tally::bench {
namespace {

// Samples polled per round: a few more than the bench's window of records
// holds in flight at the default sampling, so a sample is rarely seen late
// because earlier ones still wait.
constexpr size_t kActive = 128;


bool any_in_flight(const Node& node) {
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    const Result<bool> any = any_saga_in_flight(node.store(Partition{p}));
    if (!any.ok() || *any) return true;
  }
  return false;
}

}  // namespace

Status wait_sagas_settled(Node& node, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    TALLY_RETURN_IF_ERROR(node.wait_caught_up(std::max(left, std::chrono::milliseconds(1))));
    // Everything appended so far is applied, so every saga has started:
    // none in flight means every one settled.
    if (!any_in_flight(node)) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) return Status::Timeout("sagas still in flight");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::vector<SagaSample> sample_cross(const Workload& w, size_t max) {
  std::vector<SagaSample> cross;
  for (uint64_t i = 1; i <= w.options().transfers; i++) {
    const CreateTransfer t = w.transfer(i);
    if (w.is_cross(t)) cross.push_back({t.id, partition_of(t.debit_account_id, w.options().partitions)});
  }
  if (cross.size() <= max) return cross;
  const size_t every = (cross.size() + max - 1) / max;
  std::vector<SagaSample> out;
  for (size_t i = 0; i < cross.size(); i += every) out.push_back(cross[i]);
  return out;
}

SettleSampler::SettleSampler(const Node& node, std::vector<SagaSample> samples, std::chrono::microseconds poll)
    : node_(node), samples_(std::move(samples)), poll_(poll) {}

SettleSampler::~SettleSampler() { stop(); }

void SettleSampler::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void SettleSampler::finish(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (thread_.joinable() && !drained_ && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(poll_);
  }
  stop();
}

void SettleSampler::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void SettleSampler::run(std::stop_token stop) {
  pthread_setname_np(pthread_self(), "bench sampler");
  while (!stop.stop_requested() && (next_ < samples_.size() || !active_.empty())) {
    poll_once();
    std::this_thread::sleep_for(poll_);
  }
  drained_ = next_ == samples_.size() && active_.empty();
  timespec used{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
  cpu_seconds_.store(static_cast<double>(used.tv_sec) + static_cast<double>(used.tv_nsec) / 1e9,
                     std::memory_order_release);
}

size_t SettleSampler::poll_once() {
  while (active_.size() < kActive && next_ < samples_.size()) active_.push_back(samples_[next_++]);
  size_t settled = 0;
  std::erase_if(active_, [&](const SagaSample& x) {
    auto s = node_.store(x.source).saga(x.id);
    // Absent: its record is not applied yet.
    if (!s.ok() || !s->has_value() || (*s)->state == SagaState::in_flight) return false;
    const uint64_t now = system_now().ns;
    const uint64_t started = (*s)->started.ns;
    latencies_.push_back(now > started ? static_cast<double>(now - started) / 1e6 : 0.0);
    settled++;
    return true;
  });
  return settled;
}

Result<std::vector<double>> log_time_settle_ms(const Node& node, uint64_t* compensated) {
  std::vector<double> out;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    Status bad;
    TALLY_ASSIGN_OR_RETURN(size_t n, node.store(Partition{p}).scan("S", "T", false, 0,
        [&](std::string_view, std::string_view v) {
          auto s = decode_saga(v);
          if (!s.ok()) {
            bad = s.status();
            return false;
          }
          if (s->state != SagaState::in_flight) out.push_back(static_cast<double>(s->settled.ns - s->started.ns) / 1e6);
          if (compensated != nullptr && s->state == SagaState::compensated) (*compensated)++;
          return true;
        }));
    (void)n;
    TALLY_RETURN_IF_ERROR(bad);
  }
  return out;
}

Result<SettleStages> log_time_stages(const Node& node) {
  SettleStages out;
  for (uint32_t p = 0; p < node.partition_count(); p++) {
    Status bad;
    TALLY_ASSIGN_OR_RETURN(size_t n, node.store(Partition{p}).scan("S", "T", false, 0,
        [&](std::string_view, std::string_view v) {
          auto s = decode_saga(v);
          if (s.ok() && s->state != SagaState::completed) return true;
          auto credit = s.ok() ? node.store(s->destination).transfer(s->id) : Result<std::optional<Transfer>>(s.status());
          if (!credit.ok() || !credit->has_value()) {
            bad = credit.ok() ? Status::Internal("saga " + s->id.str() + " completed without a credit transfer")
                              : credit.status();
            return false;
          }
          const double leg = static_cast<double>((*credit)->timestamp.ns);
          out.to_credit_ms.push_back((leg - static_cast<double>(s->started.ns)) / 1e6);
          out.to_reply_ms.push_back((static_cast<double>(s->settled.ns) - leg) / 1e6);
          return true;
        }));
    (void)n;
    TALLY_RETURN_IF_ERROR(bad);
  }
  return out;
}

namespace {
void report_stages(const Node& node, SettleFigures& f) {
  auto stages = log_time_stages(node);
  if (!stages.ok()) {
    std::printf("saga stages, log time: %s\n", stages.status().to_string().c_str());
    return;
  }
  f.credit_p50_ms = percentile(stages->to_credit_ms, 0.5);
  f.credit_p99_ms = percentile(stages->to_credit_ms, 0.99);
  f.reply_p50_ms = percentile(stages->to_reply_ms, 0.5);
  f.reply_p99_ms = percentile(stages->to_reply_ms, 0.99);
  std::printf("saga stages, log time (%zu completed): request → credit leg appended p50 %.1f ms, p99 %.1f ms; "
              "credit leg → reply appended p50 %.1f ms, p99 %.1f ms\n",
              stages->to_credit_ms.size(), f.credit_p50_ms, f.credit_p99_ms, f.reply_p50_ms, f.reply_p99_ms);
}
}  // namespace

SettleFigures report_settle(Node& node, const SettleSampler& sampler) {
  SettleFigures f;
  std::vector<double> seen = sampler.latencies();
  f.sampled = sampler.sampled();
  f.seen = seen.size();
  f.observed_p50_ms = percentile(seen, 0.5);
  f.observed_p99_ms = percentile(seen, 0.99);
  f.observed_p100_ms = percentile(seen, 1.0);
  std::printf("saga settle latency, observed (%zu of %zu sampled sagas seen settled, polled every 2 ms): "
              "p50 %.1f ms, p99 %.1f ms, p100 %.1f ms\n",
              f.seen, f.sampled, f.observed_p50_ms, f.observed_p99_ms, f.observed_p100_ms);
  auto all = log_time_settle_ms(node, &f.compensated);
  if (!all.ok()) {
    std::printf("saga settle latency, log time: %s\n", all.status().to_string().c_str());
  } else {
    f.log_time_ok = true;
    f.log_p50_ms = percentile(*all, 0.5);
    f.log_p99_ms = percentile(*all, 0.99);
    f.log_p100_ms = percentile(*all, 1.0);
    std::printf("saga settle latency, log time (all %zu sagas; reply appended, not yet applied): "
                "p50 %.1f ms, p99 %.1f ms, p100 %.1f ms\n",
                all->size(), f.log_p50_ms, f.log_p99_ms, f.log_p100_ms);
    report_stages(node, f);
  }
  const RelayStats relay = node.relay().stats();
  const SchedulerStats timers = node.scheduler().stats();
  f.sagas = all.ok() ? all->size() : 0;
  f.relayed = relay.relayed;
  f.relay_appends = relay.appends;
  f.saga_timeouts_appended = timers.saga_timeouts_appended;
  f.saga_deadlines_held = timers.saga_deadlines_held;
  std::printf("relay: %llu outbox entries (credit legs, replies) in %llu appends, %.2f per saga; scheduler: %llu saga "
              "timeouts appended (re-sends after the %.0f s deadline), %llu overdue deadlines held while only queued\n",
              static_cast<unsigned long long>(f.relayed), static_cast<unsigned long long>(f.relay_appends),
              f.sagas > 0 ? static_cast<double>(f.relayed) / static_cast<double>(f.sagas) : 0.0,
              static_cast<unsigned long long>(f.saga_timeouts_appended),
              static_cast<double>(SagaSchedule::kFirstDeadlineNs) / 1e9,
              static_cast<unsigned long long>(f.saga_deadlines_held));
  std::printf("relay: %.1f ms per append on average (in the log's append call)\n",
              relay.appends > 0 ? static_cast<double>(relay.append_micros) / 1e3 / static_cast<double>(relay.appends) : 0.0);
  std::printf("sagas: %llu settled, %llu compensated\n", static_cast<unsigned long long>(f.sagas),
              static_cast<unsigned long long>(f.compensated));
  return f;
}

}  // namespace tally::bench
