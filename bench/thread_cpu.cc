#include "bench/thread_cpu.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tally::bench {
namespace {

// One thread's name and CPU seconds from /proc/self/task/TID/stat: the
// name is between the first '(' and the last ')', utime and stime are the
// 12th and 13th fields after it.
bool read_stat(const std::filesystem::path& stat, std::string& name, double& seconds) {
  std::ifstream in(stat);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t open = text.find('('), close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return false;
  name = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 1; i <= 13 && rest >> field; i++) {
    if (i == 12) utime = std::stoull(field);
    if (i == 13) stime = std::stoull(field);
  }
  seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return true;
}

// The thread's seconds on a CPU and waiting on a run queue, from
// schedstat (nanoseconds, so short runs are counted exactly, unlike stat's
// clock ticks); false without it.
bool read_schedstat(const std::filesystem::path& schedstat, ThreadTimes& t) {
  std::ifstream in(schedstat);
  unsigned long long run_ns = 0, wait_ns = 0;
  if (!(in >> run_ns >> wait_ns)) return false;
  t.cpu = static_cast<double>(run_ns) / 1e9;
  t.waited = static_cast<double>(wait_ns) / 1e9;
  return true;
}

}  // namespace

std::map<std::string, ThreadTimes> thread_times_by_name() {
  std::map<std::string, ThreadTimes> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::string name;
    double seconds = 0;
    if (!read_stat(task.path() / "stat", name, seconds)) continue;
    while (!name.empty() && (std::isdigit(static_cast<unsigned char>(name.back())) || name.back() == ' ')) {
      name.pop_back();
    }
    ThreadTimes one{seconds, 0};
    read_schedstat(task.path() / "schedstat", one);
    ThreadTimes& t = out[name];
    t.cpu += one.cpu;
    t.waited += one.waited;
  }
  return out;
}

std::map<std::string, ThreadTimes> thread_times_delta(const std::map<std::string, ThreadTimes>& before,
                                                      const std::map<std::string, ThreadTimes>& after) {
  std::map<std::string, ThreadTimes> out;
  for (const auto& [name, t] : after) {
    const auto it = before.find(name);
    const ThreadTimes b = it == before.end() ? ThreadTimes{} : it->second;
    out[name] = ThreadTimes{t.cpu - b.cpu, t.waited - b.waited};
  }
  return out;
}

}  // namespace tally::bench
