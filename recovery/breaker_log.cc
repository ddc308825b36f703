#include "recovery/breaker_log.h"

#include <cstdio>

#include "engine/core/thread_annotations.h"

namespace tally {
namespace {

std::string seconds(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

bool counts_against_log(const Status& status) {
  switch (status.code()) {
    case StatusCode::ok:
    case StatusCode::invalid_argument:
    case StatusCode::not_found:
    case StatusCode::failed_precondition:
      return false;
    default:
      return true;
  }
}

BreakerLog::BreakerLog(std::unique_ptr<Log> inner, BreakerLogOptions options)
    : inner_(std::move(inner)),
      clock_(options.clock ? options.clock : [] { return std::chrono::steady_clock::now(); }),
      breaker_(options.breaker) {}

Result<std::vector<Offset>> BreakerLog::append(std::span<const AppendRequest> records) {
  return append_by(records, Deadline::max());
}

Result<std::vector<Offset>> BreakerLog::append_by(std::span<const AppendRequest> records,
                                                  Deadline deadline) {
  TALLY_RETURN_IF_ERROR(check_append(*this, records));  // a caller's mistake is not the log's
  std::optional<CircuitBreaker::Permit> permit;
  {
    tally::MutexLock lock(mu_);
    const auto now = clock_();
    (void)advance_locked(now);
    permit = breaker_.admit(now);
    if (!permit) {
      rejected_++;
      return Status::Unavailable("appends to " + inner_->describe() +
                                 " are refused: " + describe_locked(now));
    }
  }
  Result<std::vector<Offset>> result = inner_->append_by(records, deadline);
  const bool failed = !result.ok() && counts_against_log(result.status());
  if (failed) {
    if (const uint64_t n = failure_log_.admit()) {
      logging::warn("log", "append failed{}: {}", n > 1 ? " (" + std::to_string(n) + " times since the last line)" : "",
                    result.status().to_string());
    }
  }
  tally::MutexLock lock(mu_);
  const auto now = clock_();
  if (!result.ok()) last_error_ = result.status().to_string();
  const uint32_t failures_before = breaker_.consecutive_failures();
  const BreakerState before = breaker_.state();
  breaker_.on_result(*permit, !failed, now);
  if (before != BreakerState::open && breaker_.state() == BreakerState::open) {
    opened_after_ = before == BreakerState::closed ? failures_before + 1 : 1;
  }
  log_transition_locked(before, now);
  return result;
}

BreakerState BreakerLog::advance_locked(std::chrono::steady_clock::time_point now) const {
  const BreakerState before = breaker_.state();
  const BreakerState after = breaker_.state(now);
  log_transition_locked(before, now);
  return after;
}

void BreakerLog::log_transition_locked(BreakerState before, std::chrono::steady_clock::time_point now) const {
  const BreakerState after = breaker_.state();
  if (after == before) return;
  const std::string line = std::string(breaker_state_name(before)) + " -> " +
                           std::string(breaker_state_name(after)) + ": " + describe_locked(now);
  if (after == BreakerState::open) {
    logging::warn("breaker", "{}", line);
  } else {
    logging::info("breaker", "{}", line);
  }
}

std::string BreakerLog::describe_locked(std::chrono::steady_clock::time_point now) const {
  const BreakerState s = breaker_.state(now);
  std::string out = "circuit breaker " + std::string(breaker_state_name(s));
  if (s == BreakerState::closed) {
    if (breaker_.consecutive_failures() > 0) {
      out += " (" + std::to_string(breaker_.consecutive_failures()) + " consecutive append failures; last: " +
             last_error_ + ")";
    }
    return out;
  }
  out += " for " + seconds(now - breaker_.since());
  if (s == BreakerState::open) {
    out += " after " + std::to_string(opened_after_) + " consecutive append failure" +
           (opened_after_ == 1 ? "" : "s") + " (last: " + last_error_ + "); half-open in " +
           seconds(std::max(breaker_.half_open_at() - now, std::chrono::steady_clock::duration(0)));
  } else {
    out += ", trying appends again (" + std::to_string(breaker_.consecutive_successes()) + " of " +
           std::to_string(breaker_.options().success_threshold) + " successes needed to close; last error: " +
           last_error_ + ")";
  }
  return out;
}

std::string BreakerLog::describe_breaker() const {
  tally::MutexLock lock(mu_);
  const auto now = clock_();
  (void)advance_locked(now);
  return describe_locked(now);
}

BreakerSnapshot BreakerLog::snapshot() const {
  tally::MutexLock lock(mu_);
  const auto now = clock_();
  BreakerSnapshot s;
  s.state = advance_locked(now);
  s.consecutive_failures = breaker_.consecutive_failures();
  s.transitions = breaker_.transitions();
  s.rejected = rejected_;
  s.last_error = last_error_;
  s.in_state = now - breaker_.since();
  if (s.state == BreakerState::open) {
    s.until_half_open = std::max(breaker_.half_open_at() - now, std::chrono::steady_clock::duration(0));
  }
  return s;
}

}  // namespace tally
