// The process's own metrics for /metrics (Prometheus text): the build
// (tally_build_info), CPU time, resident memory, open files and their limit,
// read from /proc/self on each scrape. Safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tally::http {

struct ProcessStats {
  double cpu_seconds = 0;       // user + system, since the process started
  uint64_t resident_bytes = 0;  // VmRSS
  uint64_t open_fds = 0;        // entries in /proc/self/fd
  uint64_t max_fds = 0;         // RLIMIT_NOFILE, soft
};

// What /proc says now; nullopt where /proc cannot be read (not Linux).
std::optional<ProcessStats> read_process_stats();

// tally_build_info{version,commit} 1, then process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds and process_max_fds
// (the names Prometheus' own clients use) when /proc is readable.
std::string process_metrics_text();

}  // namespace tally::http
