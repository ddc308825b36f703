#include "engine/http/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/core/version.h"

namespace tally::http {
namespace {

// utime and stime are fields 14 and 15 of /proc/self/stat, after the
// command name in parentheses (which may itself hold spaces).
std::optional<double> cpu_seconds() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; i++) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

std::optional<uint64_t> resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    unsigned long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %llu kB", &kb) == 1) return kb * 1024;
  }
  return std::nullopt;
}

uint64_t open_fds() {
  std::error_code ec;
  uint64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) n++;
  return n;
}

void gauge(std::string& out, const char* name, const char* type, const char* help, const std::string& value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         value + "\n";
}

}  // namespace

std::optional<ProcessStats> read_process_stats() {
  std::optional<double> cpu = cpu_seconds();
  std::optional<uint64_t> rss = resident_bytes();
  if (!cpu || !rss) return std::nullopt;
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  return ProcessStats{.cpu_seconds = *cpu, .resident_bytes = *rss, .open_fds = open_fds(),
                      .max_fds = static_cast<uint64_t>(lim.rlim_cur)};
}

std::string process_metrics_text() {
  std::string out = "# HELP tally_build_info The version and commit this tally was built from.\n"
                    "# TYPE tally_build_info gauge\n";
  out += std::string("tally_build_info{version=\"") + kVersion + "\",commit=\"" + kCommit + "\"} 1\n";
  const std::optional<ProcessStats> s = read_process_stats();
  if (!s) return out;
  char cpu[64];
  std::snprintf(cpu, sizeof cpu, "%.3f", s->cpu_seconds);
  gauge(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.", cpu);
  gauge(out, "process_resident_memory_bytes", "gauge", "Resident memory, in bytes.",
        std::to_string(s->resident_bytes));
  gauge(out, "process_open_fds", "gauge", "Open file descriptors.", std::to_string(s->open_fds));
  gauge(out, "process_max_fds", "gauge", "The limit on open file descriptors (soft).", std::to_string(s->max_fds));
  return out;
}

}  // namespace tally::http
