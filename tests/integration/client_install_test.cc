// libtally-client as a user gets it: `meson install` into a staging root,
// docs/examples/client/pay.cc compiled against the installed header and
// library through the installed pkg-config file (nothing from the build
// tree), then run against a real `tally serve`, over HTTP and over Kafka
// (`tally broker`). What the serve answers by position and by id must be
// what the program printed; the program exiting 0 proves nothing alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/fixtures/broker.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;
namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The installed copy: the staging root and the folder holding tally-client.pc.
struct Installed {
  std::string root;
  std::string pkgconfig_dir;
};

Installed install(const TempDir& dir) {
  const std::string root = dir.sub("root");
  const RunResult r = run({"meson", "install", "-C", env("TALLY_BUILD_ROOT"), "--no-rebuild", "--quiet",
                           "--destdir", root});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.path().filename() == "tally-client.pc") return {root, e.path().parent_path().string()};
  }
  FAIL("meson install put no tally-client.pc under " << root);
  return {};
}

// `c++ pay.cc $(pkg-config --cflags --libs tally-client)` with the staging
// root as pkg-config's sysroot; the (staged) library directory, for running.
std::string build_example(const Installed& in, const std::string& out) {
  const std::string pc = "PKG_CONFIG_PATH=" + in.pkgconfig_dir + " PKG_CONFIG_SYSROOT_DIR=" + in.root;
  const RunResult libdir = run({"sh", "-c", pc + " pkg-config --variable=libdir tally-client"});
  REQUIRE_MESSAGE(libdir.exit_code == 0, libdir.output);
  const std::string source = env("TALLY_SOURCE_ROOT") + "/docs/examples/client/pay.cc";
  const RunResult cc = run({"sh", "-c", "c++ -std=c++20 -Wall -Wextra -Werror " + source + " $(" + pc +
                                            " pkg-config --cflags --libs tally-client) -o " + out});
  REQUIRE_MESSAGE(cc.exit_code == 0, cc.output);
  // pkg-config puts the sysroot before the path already.
  return libdir.output.substr(0, libdir.output.find('\n'));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Runs pay and checks every line it printed against the serve.
void run_and_check(const std::string& pay, const std::string& libdir, const Serve& serve,
                   const std::string& kafka = "") {
  std::vector<std::string> argv = {"env", "LD_LIBRARY_PATH=" + libdir, pay, serve.address()};
  if (!kafka.empty()) argv.push_back(kafka);
  const RunResult r = run(argv);
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const std::vector<std::string> lines = lines_of(r.output);
  std::vector<std::string> outcomes;
  size_t checked = 0;
  for (const std::string& l : lines) {
    std::istringstream words(l);
    std::string kind, outcome, p_word, p, o_word, o, i_word, i;
    words >> kind;
    if (kind != "outcome") continue;
    words >> outcome >> p_word >> p >> o_word >> o >> i_word >> i;
    outcomes.push_back(outcome);
    const RunResult answer = run({tally_bin(), "query", "--http", serve.address(), "offset", p, o, "--json"});
    REQUIRE_MESSAGE(answer.exit_code == 0, answer.output);
    const boost::json::value stored = boost::json::parse(answer.output);
    CHECK(std::string(stored.at("outcomes").as_array().at(std::stoul(i)).as_string()) == outcome);
    checked++;
  }
  // Two accounts and a payment created, the overdraft refused.
  CHECK(outcomes == std::vector<std::string>{"created", "created", "created", "exceeds_credits"});
  CHECK(checked == 4);
  const RunResult alice = run({tally_bin(), "query", "--http", serve.address(), "account", "129127208515966861314",
                               "--json"});
  REQUIRE_MESSAGE(alice.exit_code == 0, alice.output);
  const boost::json::value a = boost::json::parse(alice.output);
  const std::string expected = "alice 129127208515966861314 debits_posted " + str(a, "debits_posted") +
                               " credits_posted " + str(a, "credits_posted");
  CHECK(std::find(lines.begin(), lines.end(), expected) != lines.end());
  CHECK(str(a, "credits_posted") == "500");
  CHECK(std::find(lines.begin(), lines.end(), "transfer 129127208515966861413 exceeds_credits") != lines.end());
}

}  // namespace

TEST_CASE("the installed client library builds the example, which pays over HTTP and over Kafka") {
  TempDir dir;
  const Installed installed = install(dir);
  const std::string pay = dir.sub("pay");
  const std::string libdir = build_example(installed, pay);
  // The program must load the installed library, not one in the build tree.
  CHECK_MESSAGE(run({"sh", "-c", "LD_LIBRARY_PATH=" + libdir + " ldd " + pay + " | grep -F " + libdir}).exit_code ==
                    0,
                "pay does not load libtally-client from " << libdir);

  SUBCASE("over HTTP") {
    Serve serve(dir.sub("http-data"));
    run_and_check(pay, libdir, serve);
    // Again: every command is answered exists, the overdraft's id keeps its refusal.
    const RunResult again = run({"env", "LD_LIBRARY_PATH=" + libdir, pay, serve.address()});
    REQUIRE_MESSAGE(again.exit_code == 0, again.output);
    CHECK(again.output.find("outcome exists partition") != std::string::npos);
  }
  SUBCASE("over Kafka, outcomes from the serve consuming the topic") {
    Broker broker(4);
    Serve serve(dir.sub("kafka-data"), {"--kafka", broker.bootstrap()});
    run_and_check(pay, libdir, serve, broker.bootstrap());
  }
}
