// Progress of a long-running tool on stderr: a bar redrawn in place when
// stderr is a terminal, else a plain line now and then, so logs of
// non-interactive runs stay readable. Not thread-safe: one thread reports.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "bench/figures.h"  // with_commas

namespace tally::cli {

class ProgressDisplay {
 public:
  // `label` starts every line ("replay").
  explicit ProgressDisplay(std::string label);
  // How often update() should be called: often for the bar, seldom for lines.
  std::chrono::milliseconds interval() const;
  // Shows `done` of `total` units (`unit`, e.g. "records") and a rate of
  // `count` `count_unit` per second over `seconds`.
  void update(uint64_t done, uint64_t total, const char* unit, uint64_t count,
              const char* count_unit, double seconds);
  // Ends the bar's line (terminal) or prints a last line (otherwise).
  void finish(uint64_t done, uint64_t total, const char* unit, uint64_t count,
              const char* count_unit, double seconds);

 private:
  std::string line(uint64_t done, uint64_t total, const char* unit, uint64_t count,
                   const char* count_unit, double seconds) const;
  const std::string label_;
  const bool terminal_;
  std::chrono::steady_clock::time_point last_plain_;  // the last plain line, or the start
};

}  // namespace tally::cli
