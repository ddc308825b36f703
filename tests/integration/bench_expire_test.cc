// `tally bench expire` at a small scale: it expires every pending transfer
// exactly once (its own check passes) and a tick woken by a commit of a
// timer due after the next known one reads no key.
#include <doctest/doctest.h>

#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

TEST_CASE("tally bench expire: a small run expires everything once; a woken idle tick reads no key") {
  const RunResult r = run({tally_bin(), "bench", "expire", "--pending", "5000", "--partitions", "4",
                           "--idle-timers", "20000", "--ticks", "10"});
  CAPTURE(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.find(" expiries/s (CPU ") != std::string::npos);
  CHECK(r.output.find("ExpirePending appended: 5000;") != std::string::npos);
  CHECK(r.output.find("check: 0 transfers still pending, 0 timers left, 5000 expired outcomes") !=
        std::string::npos);
  CHECK(r.output.find("later timer: ") != std::string::npos);
  CHECK(r.output.find(" 0.00 index keys read, 0 timers found") != std::string::npos);
}
