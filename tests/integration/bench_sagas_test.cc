// `tally bench transfers --cross` at a small scale: with --compare it runs
// the same-partition workload and then the mix, every saga settles, and
// --validate finds every account and transfer as the workload says.
#include <doctest/doctest.h>

#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

TEST_CASE("tally bench transfers --cross --compare: both runs validate, every saga settles") {
  const RunResult r = run({tally_bin(), "bench", "transfers", "--accounts", "1000", "--transfers", "20000",
                           "--batch", "1000", "--partitions", "4", "--cross", "0.2", "--compare", "--validate"});
  CAPTURE(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find("== same partition only ==") != std::string::npos);
  CHECK(r.output.find("== 20% cross-partition ==") != std::string::npos);
  CHECK(r.output.find("appended durably and applied, every saga settled") != std::string::npos);
  CHECK(r.output.find("peak RSS: ") != std::string::npos);  // every bench prints it
  CHECK(r.output.find("sampled sagas seen settled") != std::string::npos);
  CHECK(r.output.find("relay: ") != std::string::npos);
  size_t validated = 0;
  for (size_t at = 0; (at = r.output.find("validate: every account and transfer checked", at)) != std::string::npos; at++) {
    validated++;
  }
  CHECK(validated == 2);
  CHECK(r.output.find("\ncompare: same partition ") != std::string::npos);
}

TEST_CASE("tally bench transfers --cross: a fraction outside 0..1 is refused") {
  const RunResult r = run({tally_bin(), "bench", "transfers", "--cross", "1.5"});
  CHECK(r.exit_code == 2);
  CHECK(r.output.find("--cross must be in 0..1") != std::string::npos);
}
