#include "bench/thread_cpu.h"

#include <unistd.h>

#include <filesystem>
#include <cctype>
#include <fstream>
#include <sstream>

namespace tally::bench {
namespace {

// One thread's name and CPU seconds from /proc/self/task/TID/stat: the
// name is between the first '(' and the last ')', utime and stime are the
// 12th and 13th fields after it.
bool read_task(const std::filesystem::path& stat, std::string& name, double& seconds) {
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

}  // namespace

std::map<std::string, double> thread_cpu_by_name() {
  std::map<std::string, double> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::string name;
    double seconds = 0;
    if (!read_task(task.path() / "stat", name, seconds)) continue;
    while (!name.empty() && (std::isdigit(static_cast<unsigned char>(name.back())) || name.back() == ' ')) {
      name.pop_back();
    }
    out[name] += seconds;
  }
  return out;
}

std::map<std::string, double> thread_cpu_delta(const std::map<std::string, double>& before,
                                               const std::map<std::string, double>& after) {
  std::map<std::string, double> out;
  for (const auto& [name, seconds] : after) {
    const auto it = before.find(name);
    out[name] = seconds - (it == before.end() ? 0.0 : it->second);
  }
  return out;
}

}  // namespace tally::bench
