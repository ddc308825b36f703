#include "tools/tally/progress.h"

#include <unistd.h>

#include <cstdio>

namespace tally::cli {
namespace {
constexpr int kBarWidth = 30;
constexpr std::chrono::milliseconds kBarInterval{200};
constexpr std::chrono::milliseconds kPlainInterval{5000};
}  // namespace

ProgressDisplay::ProgressDisplay(std::string label)
    : label_(std::move(label)),
      terminal_(isatty(STDERR_FILENO) == 1),
      last_plain_(std::chrono::steady_clock::now()) {}

std::chrono::milliseconds ProgressDisplay::interval() const {
  return terminal_ ? kBarInterval : kPlainInterval;
}

std::string ProgressDisplay::line(uint64_t done, uint64_t total, const char* unit, uint64_t count,
                                  const char* count_unit, double seconds) const {
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const double rate = seconds > 0 ? static_cast<double>(count) / seconds : 0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%3.0f%%  %s of %s %s  %s %s/s", fraction * 100,
                with_commas(done).c_str(), with_commas(total).c_str(), unit,
                with_commas(static_cast<uint64_t>(rate)).c_str(), count_unit);
  if (!terminal_) return label_ + ": " + buf;
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string bar = label_ + " [";
  for (int i = 0; i < kBarWidth; i++) bar.push_back(i < filled ? '#' : '.');
  return bar + "] " + buf;
}

void ProgressDisplay::update(uint64_t done, uint64_t total, const char* unit, uint64_t count,
                             const char* count_unit, double seconds) {
  const std::string text = line(done, total, unit, count, count_unit, seconds);
  if (terminal_) {
    std::fprintf(stderr, "\r%s\x1b[K", text.c_str());
    std::fflush(stderr);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_plain_ < kPlainInterval) return;
  last_plain_ = now;
  std::fprintf(stderr, "%s\n", text.c_str());
}

void ProgressDisplay::finish(uint64_t done, uint64_t total, const char* unit, uint64_t count,
                             const char* count_unit, double seconds) {
  const std::string text = line(done, total, unit, count, count_unit, seconds);
  std::fprintf(stderr, terminal_ ? "\r%s\x1b[K\n" : "%s\n", text.c_str());
}

}  // namespace tally::cli
