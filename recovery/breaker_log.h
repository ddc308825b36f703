// BreakerLog: a Log whose appends pass through a CircuitBreaker
// (recovery/breaker.h). The node wraps its log in one, so every append the
// engine makes — producers' through Node::append, the outbox relay's and
// the timer scheduler's — is guarded by the same breaker. Reads, end
// offsets and everything else pass straight through: pipelines keep
// reading and queries keep working while appends fail fast.
//
// What counts as a failure: any append error except a caller's mistake
// (invalid_argument, not_found, failed_precondition), which says nothing
// about the log's health. While the breaker refuses, append() returns
// `unavailable` at once, naming the breaker's state, the failures that
// opened it, the last error and when it will try again.
//
// Every transition is written to the operator log (component "breaker":
// warn when it opens, info when it half-opens or closes), and append
// failures are logged rate-limited (the first, then one per 10 s with the
// count it stands for).
//
// Thread-safe: any thread may call any method.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/core/logging.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/log.h"
#include "recovery/breaker.h"

namespace tally {

struct BreakerLogOptions {
  BreakerOptions breaker;
  // The breaker's clock; default std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// What /health and /metrics show about the breaker.
struct BreakerSnapshot {
  BreakerState state = BreakerState::closed;
  uint32_t consecutive_failures = 0;
  uint64_t transitions = 0;          // since the process started
  uint64_t rejected = 0;             // appends refused without trying
  std::string last_error;            // the last append error seen ("" if none)
  std::chrono::nanoseconds in_state{0};       // how long it has been in `state`
  std::chrono::nanoseconds until_half_open{0};  // while open
};

// Whether an append error says the log is unhealthy (and so counts).
bool counts_against_log(const Status& status);

class BreakerLog final : public Log {
 public:
  // REQUIRES: inner != nullptr.
  BreakerLog(std::unique_ptr<Log> inner, BreakerLogOptions options);

  uint32_t partition_count() const override { return inner_->partition_count(); }
  Result<std::vector<Offset>> append(std::span<const AppendRequest> records) override;
  Result<std::vector<Offset>> append_by(std::span<const AppendRequest> records,
                                        Deadline deadline) override;
  Result<std::unique_ptr<LogReader>> read(Partition partition, Offset from) override {
    return inner_->read(partition, from);
  }
  Result<Offset> end_offset(Partition partition) override { return inner_->end_offset(partition); }
  size_t max_record_bytes() const override { return inner_->max_record_bytes(); }
  std::string describe() const override { return inner_->describe(); }
  Status checkpoint(const std::string& dir) override { return inner_->checkpoint(dir); }
  Status append_condition() override { return inner_->append_condition(); }

  BreakerSnapshot snapshot() const;
  // "circuit breaker open for 2.1 s after 5 consecutive append failures
  // (last: unavailable: ...); half-open in 27.9 s" — or "circuit breaker closed".
  std::string describe_breaker() const;
  Log& inner() { return *inner_; }

 private:
  std::string describe_locked(std::chrono::steady_clock::time_point now) const REQUIRES(mu_);
  // Logs a change of state seen at `now` (after admit or on_result).
  void log_transition_locked(BreakerState before, std::chrono::steady_clock::time_point now) const REQUIRES(mu_);
  // breaker_.state(now), logging open -> half-open when time made it so.
  BreakerState advance_locked(std::chrono::steady_clock::time_point now) const REQUIRES(mu_);

  const std::unique_ptr<Log> inner_;
  const std::function<std::chrono::steady_clock::time_point()> clock_;

  mutable tally::Mutex mu_;
  // mutable: reading the state at a time may turn open into half-open.
  mutable CircuitBreaker breaker_ GUARDED_BY(mu_);
  uint32_t opened_after_ GUARDED_BY(mu_) = 0;  // failures that opened it last
  uint64_t rejected_ GUARDED_BY(mu_) = 0;
  std::string last_error_ GUARDED_BY(mu_);
  logging::RateLimited failure_log_;
};

}  // namespace tally
