// `tally query stuck` against a running `tally serve` (--http), and its
// answer when only the stores can be read (--data).
#include <doctest/doctest.h>

#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

TEST_CASE("tally query stuck asks a running serve; the stores alone cannot answer") {
  TempDir dir;
  {
    Serve serve(dir.sub("data"), {"--partitions", "4"});
    RunResult r = run({tally_bin(), "query", "stuck", "--http", serve.address()});
    CHECK(r.exit_code == 0);
    CHECK(r.output == "0 stuck operations\n");
    r = run({tally_bin(), "query", "stuck", "--http", serve.address(), "--json"});
    CHECK(r.exit_code == 0);
    CHECK(r.output == "{\"operations\":[]}\n");
    r = run({tally_bin(), "query", "stuck", "--http", serve.address(), "--limit", "0"});
    CHECK(r.exit_code == 2);
    r = run({tally_bin(), "query", "stuck", "7", "--http", serve.address()});
    CHECK(r.exit_code == 2);
    CHECK(serve.stop() == 0);
  }
  const RunResult r = run({tally_bin(), "query", "stuck", "--data", dir.sub("data")});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(r.output.find("tracked by a running node") != std::string::npos, r.output);
}
