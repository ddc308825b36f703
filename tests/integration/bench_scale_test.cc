// `tally bench transfers --scale-partitions` / `--scale-accounts` (issue 14
// item 5): one run per value in one process, each validated, printed beside
// the first with the ratio, and in --json one object per run carrying
// "scale" (ratio to the round's baseline, load average) and, last,
// "scale_summary"; bad lists are refused naming the option.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fixtures/json_lines.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;
namespace json = boost::json;

namespace {

double number(const json::object& o, const char* key) {
  CAPTURE(key);
  REQUIRE(o.contains(key));
  REQUIRE(o.at(key).is_number());
  return o.at(key).to_number<double>();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at++) n++;
  return n;
}

}  // namespace

TEST_CASE("--scale-partitions 1,2 --scale-rounds 2: four validated runs, each beside the first, ratios in --json") {
  const Captured r = run_captured({tally_bin(), "bench", "transfers", "--scale-partitions", "1,2", "--scale-rounds", "2",
                                   "--accounts", "1000", "--transfers", "20000", "--batch", "1000", "--lookups", "0",
                                   "--lookup-rate", "0", "--validate", "--json"},
                                  "", std::chrono::seconds(90));
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(count(r.err, "validate: every account and transfer checked") == 4);
  CHECK(count(r.err, "1000 accounts (groups of 10), 20000 transfers, batch 1000, uniform, 1 partitions") == 2);
  CHECK(count(r.err, "1000 accounts (groups of 10), 20000 transfers, batch 1000, uniform, 2 partitions") == 2);
  CHECK(r.err.find("scale: partitions 2 (round 2): ") != std::string::npos);
  CHECK(r.err.find("scale: from the CPU alone, with every core free: ") != std::string::npos);
  CHECK(r.err.find("scale summary: partitions 1: best ") != std::string::npos);
  CHECK(r.err.find("scale summary: partitions 2: best ") != std::string::npos);
  CHECK(r.err.find("CPU by thread: ") != std::string::npos);
  CHECK(r.err.find("waited for a CPU (runnable, not running): ") != std::string::npos);

  const std::vector<json::object> runs = json_lines(r.out);
  REQUIRE(runs.size() == 4);
  const char* names[] = {"scale_partitions_1", "scale_partitions_2", "scale_partitions_1", "scale_partitions_2"};
  for (size_t i = 0; i < runs.size(); i++) {
    CAPTURE(i);
    const json::object& o = runs[i];
    CHECK(o.at("run").as_string() == names[i]);
    CHECK(o.at("ok").as_bool());
    CHECK(o.at("validated").as_bool());
    CHECK(o.at("partitions").as_array().size() == (i % 2 == 0 ? 1u : 2u));
    const json::object& s = o.at("scale").as_object();
    CHECK(s.at("axis").as_string() == "partitions");
    CHECK(number(s, "value") == (i % 2 == 0 ? 1 : 2));
    CHECK(number(s, "round") == static_cast<double>(i / 2 + 1));
    CHECK(number(s, "baseline") == 1);
    // The ratio is this run's throughput over its round's first run's.
    const double base = number(runs[i - i % 2], "transfers_per_second");
    CHECK(number(s, "baseline_transfers_per_second") == doctest::Approx(base));
    CHECK(number(s, "ratio_to_baseline") == doctest::Approx(number(o, "transfers_per_second") / base));
    CHECK(s.at("load_average_before").as_array().size() == 3);
    // From the CPU: never below what the run measured (it had at most every core).
    CHECK(number(s, "cpu_bound_transfers_per_second") >= number(o, "transfers_per_second") * 0.95);
    CHECK(number(s, "cpu_bound_ratio_to_baseline") > 0);
    // The pipelines are named threads and did the work of the timed part.
    CHECK(number(o.at("cpu_seconds_by_thread").as_object(), "tally pipe") > 0);
    // And how long they were runnable without a CPU (schedstat; 0 on an idle machine).
    CHECK(number(o.at("cpu_wait_seconds_by_thread").as_object(), "tally pipe") >= 0);
    CHECK(o.contains("scale_summary") == (i == 3));
  }
  const json::array& rows = runs[3].at("scale_summary").as_object().at("values").as_array();
  REQUIRE(rows.size() == 2);
  const double best1 = std::max(number(runs[0], "transfers_per_second"), number(runs[2], "transfers_per_second"));
  const double best2 = std::max(number(runs[1], "transfers_per_second"), number(runs[3], "transfers_per_second"));
  CHECK(number(rows[0].as_object(), "best_transfers_per_second") == doctest::Approx(best1));
  CHECK(number(rows[1].as_object(), "best_ratio_to_baseline") == doctest::Approx(best2 / best1));
}

TEST_CASE("--scale-accounts 1000,600000: the larger run's accounts span several creation appends and all validate") {
  // 600,000 accounts are more than one creation append holds (64 records
  // of 8,189); --validate re-reads every one of them.
  const Captured r = run_captured({tally_bin(), "bench", "transfers", "--scale-accounts", "1000,600000",
                                   "--partitions", "2", "--transfers", "20000", "--lookups", "0", "--lookup-rate", "0",
                                   "--validate"},
                                  "", std::chrono::seconds(120));
  CAPTURE(r.out);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("tally bench transfers: 1000 accounts") != std::string::npos);
  CHECK(r.out.find("tally bench transfers: 600000 accounts") != std::string::npos);
  CHECK(count(r.out, "validate: every account and transfer checked") == 2);
  CHECK(r.out.find("scale: accounts 600000 (round 1): ") != std::string::npos);
  CHECK(r.out.find("scale summary: accounts 1000: best ") != std::string::npos);
  CHECK(r.out.find("scale summary: accounts 600000: best ") != std::string::npos);
}

TEST_CASE("--scale-*: bad lists and combinations are refused, naming the option") {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--scale-partitions", "1,x"}, "--scale-partitions must be 1 to 16 comma-separated whole numbers in 1..64, not '1,x'"},
      {{"--scale-partitions", "1,,2"}, "--scale-partitions must be"},
      {{"--scale-partitions", "0,2"}, "--scale-partitions must be"},
      {{"--scale-partitions", "1,65"}, "in 1..64"},
      {{"--scale-accounts", "10000,1005"}, "--scale-accounts: 1005 is not a multiple of --group (10)"},
      {{"--scale-accounts", "10000", "--scale-partitions", "1"}, "give one"},
      {{"--scale-partitions", "1,2", "--data", "/tmp/x"}, "no --compare, no --data"},
      {{"--scale-partitions", "1,2", "--scale-rounds", "0"}, "--scale-rounds must be in 1..10"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {tally_bin(), "bench", "transfers"};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const RunResult r = run(argv);
    CAPTURE(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(c.message) != std::string::npos);
  }
}
