// `tally bench MODE --data DIR`: every mode that takes --data creates DIR
// (and its parents) when it is missing, and when DIR cannot be created the
// run fails (exit 1) with an error that names DIR.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;

namespace {

struct Mode {
  const char* name;
  std::vector<std::string> args;  // small runs: a second or two each
};

const std::vector<Mode>& modes() {
  static const std::vector<Mode> m = {
      {"transfers", {"--transfers", "20000", "--lookups", "0", "--lookup-rate", "0"}},
      {"log", {"--target", "embedded", "--seconds", "0.2", "--threads", "1", "--commands", "100"}},
      {"replay", {"--transfers", "20000"}},
      {"reconcile", {"--transfers", "20000"}},
      {"expire", {"--pending", "1000", "--idle-timers", "1000", "--ticks", "10"}},
  };
  return m;
}

Captured bench(const Mode& m, const std::string& data) {
  std::vector<std::string> argv = {tally_bin(), "bench", m.name};
  argv.insert(argv.end(), m.args.begin(), m.args.end());
  argv.push_back("--data");
  argv.push_back(data);
  return run_captured(argv, "", std::chrono::seconds(120));
}

}  // namespace

TEST_CASE("tally bench MODE --data DIR creates a missing DIR and its parents") {
  TempDir tmp("tally-bench-data");
  for (const Mode& m : modes()) {
    const std::string mode = m.name;
    CAPTURE(mode);
    const std::string data = tmp.sub(std::string(m.name) + "/not/yet/there");
    const Captured r = bench(m, data);
    CAPTURE(r.err);
    CHECK(r.exit_code == 0);
    CHECK(std::filesystem::is_directory(data));
  }
}

TEST_CASE("tally bench MODE --data DIR that cannot be created fails naming DIR") {
  TempDir tmp("tally-bench-data");
  const std::string file = tmp.sub("a-file");
  std::ofstream(file) << "not a directory\n";
  const std::string data = file + "/sub";
  for (const Mode& m : modes()) {
    const std::string mode = m.name;
    CAPTURE(mode);
    const Captured r = bench(m, data);
    CAPTURE(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("cannot create the --data directory " + data + ":") != std::string::npos);
  }
}
