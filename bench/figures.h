// Small helpers for the figures benchmarks and tools print: percentiles of
// samples, numbers with thousands separators, wall and CPU seconds.
// Header-only, no state.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tally {

// The q-quantile (0 <= q <= 1) of ascending `sorted` by nearest rank,
// rounded down: sorted[min(n - 1, floor(q * n))]; q = 1 gives the maximum.
// T{} when `sorted` is empty.
template <class T>
T percentile_of_sorted(std::span<const T> sorted, double q) {
  if (sorted.empty()) return T{};
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted.size())))];
}

// As percentile_of_sorted, sorting `v` first.
template <class T>
T percentile(std::vector<T>& v, double q) {
  std::sort(v.begin(), v.end());
  return percentile_of_sorted(std::span<const T>(v), q);
}

// "12,345,678".
inline std::string with_commas(uint64_t v) {
  std::string digits = std::to_string(v);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<size_t>(i), ",");
  return digits;
}

// Seconds of steady-clock time since `t0`.
inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds (user + system) this process has used: steadier than wall
// time on a shared machine.
inline double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The process's peak resident set so far (the kernel's high-water mark), in bytes.
inline uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<uint64_t>(u.ru_maxrss) * 1024;  // ru_maxrss is in KiB on Linux
}

}  // namespace tally
