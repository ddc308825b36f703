// The operator's log: one line per event that an operator acts on (startup
// and shutdown steps, ownership changes, breaker transitions, failures of
// the log or the disk, quarantined records, admin actions). Nothing is
// logged per successful request. Lines go to stderr through spdlog
// (docs/operations.md "The log"), as text or as one JSON object a line.
//
// Thread-safe: any thread may log at any time, before or after configure().
// Never called from the apply path (the ledger, the saga step function): a
// log line is an effect, and those are pure.
#pragma once

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tally::logging {

enum class Level : uint8_t { debug = 0, info = 1, warn = 2, error = 3, off = 4 };
enum class Format : uint8_t { text, json };

// "debug", "info", "warn", "error", "off"; anything else is InvalidArgument.
Result<Level> parse_level(std::string_view name);
// "text" or "json".
Result<Format> parse_format(std::string_view name);
std::string_view level_name(Level level);

// Sets the threshold and the line format (default: info, text). Safe to call
// again; lines already written keep their format.
void configure(Level level, Format format);

// Whether a line at `level` would be written (a relaxed atomic load).
bool enabled(Level level);

// Writes one line: time (UTC, microseconds), level, component, message. In
// JSON the message and component are escaped; in text, control characters
// in them are replaced so one event stays one line.
void write(Level level, std::string_view component, std::string_view message);

// What write() puts after the time and level: "[component] message" in
// text, `"component":"...","msg":"..."` in JSON (escaped). For tests.
std::string format_fields(Format format, std::string_view component, std::string_view message);

template <class... A>
void log(Level level, std::string_view component, fmt::format_string<A...> f, A&&... args) {
  if (enabled(level)) write(level, component, fmt::format(f, std::forward<A>(args)...));
}
template <class... A>
void debug(std::string_view component, fmt::format_string<A...> f, A&&... args) {
  log(Level::debug, component, f, std::forward<A>(args)...);
}
template <class... A>
void info(std::string_view component, fmt::format_string<A...> f, A&&... args) {
  log(Level::info, component, f, std::forward<A>(args)...);
}
template <class... A>
void warn(std::string_view component, fmt::format_string<A...> f, A&&... args) {
  log(Level::warn, component, f, std::forward<A>(args)...);
}
template <class... A>
void error(std::string_view component, fmt::format_string<A...> f, A&&... args) {
  log(Level::error, component, f, std::forward<A>(args)...);
}

// Rate limit for a failure that repeats (an append that keeps failing, a
// fetch error every poll): the first occurrence is admitted, then at most
// one per `interval`. admit() returns 0 when the caller should stay quiet,
// else how many occurrences this line stands for (1 + those suppressed
// since the last admitted one), so the line can say "(N times)".
// Thread-safe. The clock is a parameter so tests drive it.
class RateLimited {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimited(Clock::duration interval = std::chrono::seconds(10)) : interval_(interval) {}
  uint64_t admit(Clock::time_point now = Clock::now());

 private:
  const Clock::duration interval_;
  std::mutex mu_;
  bool admitted_once_ = false;     // guarded by mu_
  Clock::time_point last_{};       // guarded by mu_
  uint64_t suppressed_ = 0;        // guarded by mu_
};

}  // namespace tally::logging
