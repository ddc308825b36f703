// Bad input to every entry point of the `tally` binary: each is refused with
// exactly one line on stderr, "tally[ <command>]: <what is wrong>", naming
// the offending value, and a non-zero exit (2 for usage, 1 for a failure),
// in bounded time: nothing hangs, not even on a Kafka that is not there.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "tests/fixtures/broker.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;
using namespace std::chrono_literals;

namespace {

struct BadRun {
  std::vector<std::string> args;  // after `tally`
  std::string stdin_text;
  int exit_code;
  std::string says;               // a piece of the one stderr line
  bool stdout_empty = true;       // false: it may have said what it was starting
};

void check_refused(const BadRun& b) {
  std::vector<std::string> argv = {tally_bin()};
  argv.insert(argv.end(), b.args.begin(), b.args.end());
  std::string shown;
  for (const std::string& a : b.args) shown += " " + a;
  CAPTURE(shown);
  const Captured c = run_captured(argv, b.stdin_text, 20s);
  CAPTURE(c.err);
  CHECK(c.exit_code == b.exit_code);
  REQUIRE_FALSE(c.err.empty());
  CHECK(c.err.back() == '\n');
  CHECK(c.err.find('\n') == c.err.size() - 1);  // exactly one line
  CHECK(c.err.rfind("tally", 0) == 0);
  CHECK(c.err.find(b.says) != std::string::npos);
  if (b.stdout_empty) CHECK(c.out.empty());
  CHECK(c.elapsed < 12s);
}

const std::string kAccount = R"({"type":"create_account","id":"7","ledger":1,"code":1})";

}  // namespace

TEST_CASE("the harness itself: a good produce exits 0 with nothing on stderr") {
  TempDir dir;
  const Captured c = run_captured({tally_bin(), "produce", "--data", dir.path()}, kAccount + "\n");
  CHECK(c.exit_code == 0);
  CHECK(c.err.empty());
  CHECK(c.out.rfind("line 1: create_account 7 -> created (partition ", 0) == 0);
}

TEST_CASE("tally --version names the version and the commit it was built from") {
  const Captured c = run_captured({tally_bin(), "--version"}, "");
  CHECK(c.exit_code == 0);
  CHECK(c.err.empty());
  CAPTURE(c.out);
  CHECK(c.out.rfind("tally 0.1.0 (commit ", 0) == 0);
  CHECK(c.out.find("(commit unknown)") == std::string::npos);  // the tests run in a git checkout
  CHECK(c.out.back() == '\n');
}

TEST_CASE("the README's sample input, docs/examples/commands.jsonl, gives the outcomes it describes") {
  TempDir dir;
  const char* root = std::getenv("TALLY_SOURCE_ROOT");
  REQUIRE(root != nullptr);
  std::ifstream in(std::string(root) + "/docs/examples/commands.jsonl");
  REQUIRE(in.good());
  const std::string sample((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Captured c = run_captured({tally_bin(), "produce", "--data", dir.path()}, sample);
  CHECK(c.exit_code == 0);
  CAPTURE(c.out);
  const std::vector<std::string> expected = {"create_account 7 -> created", "create_account 8 -> created",
                                             "create_transfer 1001 -> created",
                                             "create_transfer 1002 -> exceeds_credits",
                                             "create_transfer 1003 -> created", "create_transfer 1004 -> created"};
  size_t at = 0;
  for (size_t i = 0; i < expected.size(); i++) {
    const std::string line = "line " + std::to_string(i + 1) + ": " + expected[i];
    at = c.out.find(line, at);
    CHECK_MESSAGE(at != std::string::npos, line);
    if (at == std::string::npos) break;
  }
}

TEST_CASE("usage errors of the tally binary and its commands") {
  TempDir dir;
  const std::string data = dir.path();
  const std::vector<BadRun> runs = {
      {{}, "", 2, "no command given"},
      {{"frobnicate"}, "", 2, "unknown command 'frobnicate'"},
      {{"produce", "--frobnicate"}, "", 2, "unrecognised option '--frobnicate'"},
      {{"broker", "--frobnicate"}, "", 2, "unrecognised option '--frobnicate'"},
      {{"demo", "--frobnicate"}, "", 2, "unrecognised option '--frobnicate'"},
      {{"produce", "--data", data, "stray"}, "", 2, "unexpected argument \"stray\""},
      {{"produce", "--data"}, "", 2, "'--data'"},
      {{"produce"}, kAccount + "\n", 2, "give --http ADDR, --data DIR or --kafka BOOTSTRAP"},
      {{"produce", "--data", data, "--partitions", "0"}, "", 2, "--partitions must be"},
      {{"produce", "--data", data, "--partitions", "-1"}, "", 2, "got \"-1\""},
      {{"produce", "--data", data, "--partitions", "99999999999"}, "", 2, "1..4096"},
      {{"broker", "--partitions", "0"}, "", 2, "--partitions must be in 1..1000"},
      {{"produce", "--kafka", "127.0.0.1:1", "-X", "novalue"}, "", 2, "-X expects key=value"},
      {{"serve", "--frobnicate"}, "", 2, "unrecognised option '--frobnicate'"},
      {{"serve", "--data", data, "--http", "127.0.0.1:0", "stray"}, "", 2,
       "unexpected argument \"stray\""},
      {{"serve", "--data", data, "--partitions", "0"}, "", 2, "--partitions must be"},
      {{"serve", "--data", data, "--http", "nonsense"}, "", 2, "must be HOST:PORT"},
      {{"serve", "--data", data, "--log-level", "loud"}, "", 2,
       "--log-level: log level 'loud' is not one of debug, info, warn, error, off"},
      {{"serve", "--data", data, "--log-format", "xml"}, "", 2, "--log-format: log format 'xml' is not one of text, json"},
      {{"query", "--frobnicate"}, "", 2, "unrecognised option '--frobnicate'"},
      {{"query", "frobnicate", "7", "--data", data}, "", 2, "unknown query \"frobnicate\""},
      {{"demo", "stray"}, "", 2, "unexpected argument \"stray\""},
      {{"bench", "frobnicate"}, "", 2, "unknown bench mode 'frobnicate' (modes: transfers, log, replay, reconcile, expire)"},
      {{"bench", "transfers", "--batch", "8190"}, "", 2, "--batch must be in 1..8189"},
      {{"bench", "transfers", "--lookups", "-1"}, "", 2, "--lookups must be in 0..100000000"},
      {{"bench", "transfers", "--lookups", "many"}, "", 2, "the argument ('many') for option '--lookups' is invalid"},
      {{"bench", "transfers", "--lookup-rate", "-5"}, "", 2, "--lookup-rate must be in 0..10000000"},
      {{"bench", "--accounts", "15", "--group", "10"}, "", 2, "--accounts must be a multiple of --group"},
      {{"bench", "log", "--target", "moon"}, "", 2, "--target must be embedded, kafka or both"},
      {{"bench", "log", "--threads", "0"}, "", 2, "--threads must be in 1..64"},
      {{"bench", "log", "--commands", "8190"}, "", 2, "--commands must be in 1..8189"},
      {{"bench", "log", "--seconds", "-1"}, "", 2, "--seconds must be in"},
      {{"bench", "expire", "--timeout", "0"}, "", 2, "--timeout must be in 1..60"},
      {{"bench", "expire", "--partitions", "65"}, "", 2, "--partitions in 1..64"},
      {{"bench", "expire", "--frobnicate"}, "", 2, "unrecognised option '--frobnicate'"},
  };
  for (const BadRun& b : runs) check_refused(b);
}

TEST_CASE("tally produce names the line and the problem of bad JSON input") {
  TempDir dir;
  const std::string data = dir.path();
  const std::vector<BadRun> runs = {
      {{"produce", "--data", data}, kAccount + "\n{\"type\":\"create_account\",\n", 1,
       "line 2: malformed JSON"},
      {{"produce", "--data", data}, "\n\nnot json at all\n", 1, "line 3: malformed JSON"},
      {{"produce", "--data", data},
       R"({"type":"create_account","id":"8","ledger":1,"code":1,"colour":"red"})" "\n", 1,
       "line 1: unknown field \"colour\""},
      {{"produce", "--data", data},
       R"({"type":"create_account","id":"8","ledger":4294967296,"code":1})" "\n", 1,
       "line 1: field \"ledger\" is out of range 0..4294967295"},
      {{"produce", "--data", data},
       R"({"type":"create_account","id":"340282366920938463463374607431768211456","ledger":1,"code":1})"
       "\n",
       1, "line 1: field \"id\""},
      {{"produce", "--data", data}, R"({"type":"launch_rocket","id":"1"})" "\n", 1, "line 1: "},
      {{"produce", "--data", data, "--file", dir.sub("missing.jsonl")}, "", 1, "cannot open"},
  };
  for (const BadRun& b : runs) check_refused(b);
  // Nothing was appended by the refused runs: the log is still empty.
  const Captured c = run_captured({tally_bin(), "produce", "--data", data}, kAccount + "\n");
  REQUIRE(c.exit_code == 0);
  CHECK(c.out.find(" -> created (partition ") != std::string::npos);
  CHECK(c.out.find(" offset 0)") != std::string::npos);
}

TEST_CASE("a data directory that is a file is refused") {
  TempDir dir;
  const std::string file = dir.sub("plain-file");
  std::ofstream(file) << "not a directory\n";
  check_refused({{"produce", "--data", file}, kAccount + "\n", 1,
                 "cannot create the data directory " + file});
  check_refused({{"demo", "--data", file}, "", 1, "Not a directory"});
}

TEST_CASE("a Kafka or a serve that is not there fails fast with one line, not a hang") {
  TempDir dir;
  check_refused({{"produce", "--kafka", "127.0.0.1:1"}, kAccount + "\n", 1,
                 "cannot reach Kafka at 127.0.0.1:1"});
  check_refused({{"serve", "--kafka", "127.0.0.1:1", "--data", dir.path(), "--http", "127.0.0.1:0"},
                 "", 1, "cannot reach Kafka at 127.0.0.1:1"});
  check_refused({{"query", "account", "7", "--http", "127.0.0.1:1"}, "", 1,
                 "cannot connect to tally serve at 127.0.0.1:1"});
  check_refused({{"bench", "log", "--target", "kafka", "--kafka", "127.0.0.1:1"}, "", 1,
                 "cannot reach Kafka at 127.0.0.1:1", false});
  check_refused({{"produce", "--kafka", "127.0.0.1:1", "-X", "no.such.property=1"}, "", 1,
                 "no.such.property"});

  Broker broker(2);
  check_refused({{"produce", "--kafka", broker.bootstrap(), "--topic", "no.such.topic"},
                 kAccount + "\n", 1, "topic no.such.topic does not exist"});
  REQUIRE(broker.control("down 1") == "ok down 1");
  check_refused({{"produce", "--kafka", broker.bootstrap()}, kAccount + "\n", 1,
                 "cannot reach Kafka at " + broker.bootstrap()});
}

TEST_CASE("tally bench log runs briefly on both logs and reports its figures") {
  TempDir dir;
  const Captured c = run_captured({tally_bin(), "bench", "log", "--seconds", "0.5", "--commands",
                                   "500", "--threads", "2", "--data", dir.path()},
                                  "", 60s);
  CAPTURE(c.out);
  CAPTURE(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(c.err.empty());
  CHECK(c.out.find("\nembedded, 8 partitions, fsync'd: ") != std::string::npos);
  CHECK(c.out.find("\nkafka (tally broker at 127.0.0.1:") != std::string::npos);
  size_t figures = 0;
  for (size_t at = 0; (at = c.out.find(" commands/s ", at)) != std::string::npos; at++) figures++;
  CHECK(figures == 2);
}

TEST_CASE("tally bench transfers applies a small workload and validates every account and transfer") {
  const Captured c = run_captured({tally_bin(), "bench", "transfers", "--accounts", "100", "--group",
                                   "10", "--transfers", "30000", "--batch", "1000", "--validate",
                                   "--lookups", "20000"},
                                  "", 120s);
  CAPTURE(c.out);
  CAPTURE(c.err);
  REQUIRE(c.exit_code == 0);
  CHECK(c.out.find(" transfers/s (30000 in ") != std::string::npos);
  CHECK(c.out.find("record latency (append to applied): p50 ") != std::string::npos);
  CHECK(c.out.find("validate: every account and transfer checked") != std::string::npos);
  // Checked lookups after the run (a wrong balance would exit non-zero) and under load.
  CHECK(c.out.find("balance lookups (idle): 20000 lookups, p50 ") != std::string::npos);
  CHECK(c.out.find("; every balance as expected\n") != std::string::npos);
  CHECK(c.out.find("balance lookups under load (one reader): ") != std::string::npos);
}
