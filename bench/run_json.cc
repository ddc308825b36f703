#include "bench/run_json.h"

#include "bench/figures.h"

#include <unistd.h>

#include <boost/any.hpp>
#include <boost/json/array.hpp>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include "engine/core/version.h"
#include "engine/json/text.h"

namespace tally::bench {
namespace {

// An option's value as JSON: numbers, strings and switches as themselves;
// a type not listed here as null.
boost::json::value option_value(const boost::any& v) {
  if (const auto* p = boost::any_cast<bool>(&v)) return *p;
  if (const auto* p = boost::any_cast<std::string>(&v)) return boost::json::string(*p);
  if (const auto* p = boost::any_cast<double>(&v)) return *p;
  if (const auto* p = boost::any_cast<int>(&v)) return *p;
  if (const auto* p = boost::any_cast<int64_t>(&v)) return *p;
  if (const auto* p = boost::any_cast<uint32_t>(&v)) return *p;
  if (const auto* p = boost::any_cast<uint64_t>(&v)) return *p;
  if (const auto* p = boost::any_cast<size_t>(&v)) return static_cast<uint64_t>(*p);
  return nullptr;
}

}  // namespace

std::vector<double> load_average() {
  std::ifstream in("/proc/loadavg");
  std::vector<double> v(3, 0.0);
  in >> v[0] >> v[1] >> v[2];
  return v;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("model name")) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "unknown" : line.substr(start);
  }
  return "unknown";
}

std::string utc_now_iso() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

boost::json::object run_header(std::string_view mode, const std::vector<std::string>& args,
                               const boost::program_options::variables_map& vm) {
  boost::json::object o;
  o["mode"] = mode;
  boost::json::array given;
  for (const std::string& a : args) given.emplace_back(a);
  o["args"] = std::move(given);
  boost::json::object options;
  for (const auto& [name, value] : vm) {
    if (name == "help") continue;
    options[name] = option_value(value.value());
  }
  o["options"] = std::move(options);
  o["commit"] = kCommit;
  o["cpu_model"] = cpu_model();
  o["cores"] = std::thread::hardware_concurrency();
  o["started"] = utc_now_iso();
  const std::vector<double> load = load_average();
  o["load_average"] = {load[0], load[1], load[2]};
  return o;
}

JsonStdout::JsonStdout(bool enabled) {
  if (!enabled) return;
  std::fflush(stdout);
  saved_fd_ = dup(STDOUT_FILENO);
  if (saved_fd_ >= 0) dup2(STDERR_FILENO, STDOUT_FILENO);
}

JsonStdout::~JsonStdout() {
  if (saved_fd_ < 0) return;
  std::fflush(stdout);
  dup2(saved_fd_, STDOUT_FILENO);
  close(saved_fd_);
}

void JsonStdout::print(const boost::json::object& o) const {
  if (saved_fd_ < 0) return;
  std::fflush(stdout);
  boost::json::object with_rss = o;
  with_rss["peak_rss_bytes"] = peak_rss_bytes();  // the process's high-water mark so far
  const std::string text = json_text::serialize(with_rss) + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(saved_fd_, text.data() + done, text.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

}  // namespace tally::bench
