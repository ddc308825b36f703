// `tally bench <mode> --json`: one JSON object per run on stdout.
//
// Every object opens with the same header (run_header): "mode", "args" (the
// arguments as given), "options" (every option's value, defaults included),
// "commit" (tally::kCommit, as `tally --version` prints it), "cpu_model"
// (/proc/cpuinfo "model name"; "unknown" without one), "cores"
// (std::thread::hardware_concurrency), "started" (UTC, ISO 8601, when
// the mode began) and "load_average" (/proc/loadavg's 1, 5 and 15 minutes); the mode adds its figures, and print() adds
// "peak_rss_bytes" (the process's resident high-water mark when printed). Objects are printed one per
// line (JSON Lines) with json_text::serialize, so doubles are plain decimals.
//
// JsonStdout keeps stdout for the JSON alone: while one is alive, file
// descriptor 1 is the process's stderr, so the text lines every mode prints
// (unchanged) go to stderr, and print() writes to the real stdout.
#pragma once

#include <boost/json/object.hpp>
#include <boost/program_options/variables_map.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tally::bench {

// The common header of a run's object; call at the mode's start.
boost::json::object run_header(std::string_view mode, const std::vector<std::string>& args,
                               const boost::program_options::variables_map& vm);

// "model name" of the first processor in /proc/cpuinfo, or "unknown".
std::string cpu_model();

// The 1-, 5- and 15-minute load averages (/proc/loadavg); zeros without it.
std::vector<double> load_average();

// Now, UTC: "2026-12-07T07:03:55Z".
std::string utc_now_iso();

// Redirects stdout to stderr for its lifetime when `enabled`; not copyable.
// REQUIRES: at most one alive at a time.
class JsonStdout {
 public:
  explicit JsonStdout(bool enabled);
  ~JsonStdout();
  JsonStdout(const JsonStdout&) = delete;
  JsonStdout& operator=(const JsonStdout&) = delete;

  bool enabled() const { return saved_fd_ >= 0; }
  // Writes `o` and a newline to the real stdout (no-op unless enabled).
  void print(const boost::json::object& o) const;

 private:
  int saved_fd_ = -1;
};

}  // namespace tally::bench
