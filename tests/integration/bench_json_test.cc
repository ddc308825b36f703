// `tally bench <mode> --json` (issue 15 item 7, issue 14 item 7): stdout
// holds only JSON, one object per run and line, each with the common header
// (mode, args, options, commit, cpu_model, cores, started) and the mode's
// figures; the text lines go to stderr.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fixtures/json_lines.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;
namespace json = boost::json;

namespace {

double number(const json::value& v) {
  REQUIRE(v.is_number());
  return v.to_number<double>();
}

const json::value& at(const json::object& o, const char* key) {
  CAPTURE(key);
  REQUIRE(o.contains(key));
  return o.at(key);
}

void check_header(const json::object& o, const char* mode, const std::string& arg) {
  CHECK(at(o, "mode").as_string() == mode);
  CHECK_FALSE(at(o, "commit").as_string().empty());
  CHECK_FALSE(at(o, "cpu_model").as_string().empty());
  CHECK(number(at(o, "cores")) >= 1);
  CHECK(number(at(o, "peak_rss_bytes")) > 1e6);  // a process that ran a node holds more than a MB
  const std::string started(at(o, "started").as_string());
  CHECK(std::regex_match(started, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  bool given = false;
  for (const json::value& a : at(o, "args").as_array()) given |= a.as_string() == arg;
  CHECK(given);
  CHECK(at(o, "options").as_object().at("json").as_bool());
  const json::array& load = at(o, "load_average").as_array();  // /proc/loadavg: 1, 5, 15 minutes
  REQUIRE(load.size() == 3);
  for (const json::value& v : load) CHECK(number(v) >= 0);
}

}  // namespace

TEST_CASE("tally bench transfers --json: one object on stdout with the header and every figure") {
  const Captured r = run_captured({tally_bin(), "bench", "transfers", "--transfers", "20000", "--lookups", "0",
                                   "--lookup-rate", "0", "--json"},
                                  "", std::chrono::seconds(60));
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<json::object> runs = json_lines(r.out);
  REQUIRE(runs.size() == 1);
  const json::object& o = runs[0];
  check_header(o, "transfers", "20000");
  CHECK(number(at(o, "options").as_object().at("transfers")) == 20000);
  CHECK(number(at(o, "options").as_object().at("partitions")) == 8);  // defaults are listed too
  CHECK(at(o, "run").as_string() == "single");
  CHECK(at(o, "ok").as_bool());
  CHECK(number(at(o, "transfers")) == 20000);
  CHECK(number(at(o, "transfers_per_second")) > 0);
  CHECK(number(at(o, "cpu_us_per_transfer")) > 0);
  CHECK(number(at(o, "keys_per_transfer")) >= 1);
  const json::object& latency = at(o, "record_latency_ms").as_object();
  CHECK(number(latency.at("p50")) > 0);
  CHECK(number(latency.at("p50")) <= number(latency.at("p99")));
  CHECK(number(latency.at("p99")) <= number(latency.at("p100")));
  CHECK(number(at(o, "admission").as_object().at("admitted")) > 0);
  CHECK(at(o, "partitions").as_array().size() == 8);
  CHECK_FALSE(o.contains("settle"));              // no sagas in this run
  CHECK_FALSE(o.contains("lookups_idle"));        // --lookups 0
  CHECK(r.err.find(" transfers/s (20000 in ") != std::string::npos);  // the text, on stderr
  CHECK(r.err.find("peak RSS: ") != std::string::npos);
}

TEST_CASE("tally bench transfers --cross --compare --json: two objects, the second with saga settle figures") {
  const Captured r = run_captured({tally_bin(), "bench", "transfers", "--accounts", "1000", "--transfers", "20000",
                                   "--batch", "1000", "--partitions", "4", "--cross", "0.2", "--compare",
                                   "--lookups", "0", "--lookup-rate", "0", "--json"},
                                  "", std::chrono::seconds(60));
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<json::object> runs = json_lines(r.out);
  REQUIRE(runs.size() == 2);
  CHECK(at(runs[0], "run").as_string() == "same_partition");
  CHECK(at(runs[1], "run").as_string() == "cross");
  CHECK(number(at(runs[0], "transfers_per_second")) > 0);
  CHECK(number(at(runs[1], "transfers_per_second")) > 0);
  CHECK(number(at(runs[1], "options").as_object().at("cross")) == doctest::Approx(0.2));
  const json::object& settle = at(runs[1], "settle").as_object();
  CHECK(number(settle.at("sagas")) > 0);
  CHECK(number(settle.at("seen_settled")) > 0);
  CHECK(number(settle.at("observed_p50_ms")) > 0);
  CHECK(settle.contains("resends"));
  CHECK(r.err.find("\ncompare: same partition ") != std::string::npos);
  // The settle sampler's own CPU: counted apart, and part of the run's.
  CHECK_FALSE(runs[0].contains("observer_cpu_seconds"));
  const double observer = number(at(runs[1], "observer_cpu_seconds"));
  CHECK(observer > 0);
  CHECK(observer <= number(at(runs[1], "cpu_seconds")));
  CHECK(r.err.find("CPU without the bench's settle sampler (") != std::string::npos);
}

TEST_CASE("tally bench reconcile and expire --json: one object each") {
  const Captured rec = run_captured({tally_bin(), "bench", "reconcile", "--transfers", "20000", "--json"}, "",
                                    std::chrono::seconds(60));
  CAPTURE(rec.out);
  CAPTURE(rec.err);
  REQUIRE(rec.exit_code == 0);
  const std::vector<json::object> r = json_lines(rec.out);
  REQUIRE(r.size() == 1);
  check_header(r[0], "reconcile", "20000");
  CHECK(at(r[0], "clean").as_bool());
  CHECK(number(at(r[0], "transfers")) == 20000);
  CHECK(number(at(r[0], "transfers_per_second")) > 0);

  const Captured exp = run_captured({tally_bin(), "bench", "expire", "--pending", "2000", "--partitions", "4",
                                     "--idle-timers", "10000", "--ticks", "10", "--json"},
                                    "", std::chrono::seconds(60));
  CAPTURE(exp.out);
  CAPTURE(exp.err);
  REQUIRE(exp.exit_code == 0);
  const std::vector<json::object> e = json_lines(exp.out);
  REQUIRE(e.size() == 1);
  check_header(e[0], "expire", "2000");
  CHECK(at(e[0], "ok").as_bool());
  const json::object& expire = at(e[0], "expire").as_object();
  CHECK(number(expire.at("expired_outcomes")) == 2000);
  CHECK(number(expire.at("expiries_per_second")) > 0);
  // A tick woken by a commit of a later timer reads no key (recovery/timer_scan.h).
  CHECK(number(at(e[0], "idle").as_object().at("keys_read_per_partition_tick")) == doctest::Approx(0.0));
}

TEST_CASE("tally bench log --format both --json: the old and the new format, each beside the disk's fsync'd bandwidth measured in the same run") {
  const Captured c = run_captured({tally_bin(), "bench", "log", "--target", "embedded", "--format", "both",
                                   "--seconds", "0.5", "--commands", "500", "--threads", "2", "--json"},
                                  "", std::chrono::seconds(60));
  CAPTURE(c.out);
  CAPTURE(c.err);
  REQUIRE(c.exit_code == 0);
  const std::vector<json::object> runs = json_lines(c.out);
  REQUIRE(runs.size() == 2);
  const char* formats[] = {"rocksdb", "segments"};
  for (size_t i = 0; i < 2; i++) {
    check_header(runs[i], "log", "both");
    CHECK(at(runs[i], "format").as_string() == formats[i]);
    const double log_mb = number(at(runs[i], "megabytes_per_second"));
    const double disk_mb = number(at(runs[i], "disk_fsync_megabytes_per_second"));
    CHECK(disk_mb > 0);
    // The disk's figure is the better of one writer and several at once.
    CHECK(number(at(runs[i], "disk_fsync_concurrent_writers")) == 2);
    CHECK(disk_mb == std::max(number(at(runs[i], "disk_fsync_one_writer_megabytes_per_second")),
                              number(at(runs[i], "disk_fsync_concurrent_megabytes_per_second"))));
    CHECK(number(at(runs[i], "disk_fsyncs")) > 0);
    CHECK(number(at(runs[i], "log_group_commits")) > 0);
    // The group the disk was measured with is the log's mean group.
    CHECK(number(at(runs[i], "disk_fsync_group_bytes")) ==
          doctest::Approx(number(at(runs[i], "bytes")) / number(at(runs[i], "log_group_commits"))).epsilon(0.3));
    CHECK(number(at(runs[i], "share_of_disk_bandwidth")) == doctest::Approx(log_mb / disk_mb));
  }
  CHECK(c.err.find("embedded (segments), 8 partitions, fsync'd: ") != std::string::npos);
  CHECK(c.err.find("% of the disk's fsync'd sequential bandwidth, ") != std::string::npos);
}
