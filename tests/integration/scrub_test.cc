// The scrub (issue 16 item 6): latent damage in a table file, one bit
// flipped at 97.5% of it, where no query, replay or restart reads it, is
// found by `tally verify` (stopped serve) and by serve's background scrub
// (running serve), which names the file by role and name in /health and
// in the operator log, without the data directory's path.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <thread>

#include "tests/fixtures/eventually.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/file_damage.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Accounts 7 and 8 (one partition) and `n` transfers between them.
void fill(HttpClient& http, int n) {
  REQUIRE(http.post("/v1/commands", commands_body({account_json("7"), account_json("8")}, true)).status == 200);
  for (int first = 0; first < n; first += 500) {
    std::vector<std::string> commands;
    for (int i = first; i < first + 500 && i < n; i++) {
      commands.push_back(transfer_json(std::to_string(10'000 + i), "7", "8", "3"));
    }
    const HttpResult r = http.post("/v1/commands", commands_body(commands, true));
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }
}

// The largest table file under DATA/partitions: (store dir, file name).
std::pair<std::string, std::string> largest_store_table(const std::string& data) {
  std::string dir, file;
  uintmax_t best = 0;
  for (const auto& e : std::filesystem::directory_iterator(data + "/partitions")) {
    const std::string f = largest_file(e.path().string(), ".sst");
    if (!f.empty() && std::filesystem::file_size(f) > best) {
      best = std::filesystem::file_size(f);
      dir = e.path().string();
      file = std::filesystem::path(f).filename().string();
    }
  }
  return {dir, file};
}

// /health's "scrub" component: "<status> <ok> <detail>".
std::string scrub_health(HttpClient& http) {
  const boost::json::value h = http.get("/health").json();
  for (const auto& c : h.at("components").as_array()) {
    if (str(c, "name") != "scrub") continue;
    return std::string(h.at("status").as_string()) + (c.at("ok").as_bool() ? " ok " : " not-ok ") +
           std::string(c.at("detail").as_string());
  }
  return "no scrub component";
}

// The background scrub runs every second (--scrub-interval 1); a loaded machine is slow.
constexpr Poll kScrub{30s, 100ms};

}  // namespace

TEST_CASE("tally verify finds a bit flipped at 97.5% of a store's table file and names it by role") {
  TempDir dir;
  const std::string data = dir.sub("data");
  {
    Serve serve(data, {"--partitions", "4"});
    HttpClient http(serve.port());
    fill(http, 3000);
    REQUIRE(serve.stop() == 0);  // flushes the stores into table files
  }
  const Captured intact = run_captured({tally_bin(), "verify", "--data", data});
  INFO(intact.out << intact.err);
  CHECK(intact.exit_code == 0);
  CHECK(contains(intact.out, "verify: intact "));

  const auto [store, file] = largest_store_table(data);
  REQUIRE(!file.empty());
  flip_bit(store + "/" + file, 0.975);
  const std::string role = "partition " + std::filesystem::path(store).filename().string() + " store";
  const Captured damaged = run_captured({tally_bin(), "verify", "--data", data});
  INFO(damaged.out << damaged.err);
  CHECK(damaged.exit_code == 1);
  CHECK(contains(damaged.out, "verify: DAMAGED " + role + " table " + file + ": Corruption"));
  CHECK(contains(damaged.out, "verify: 1 damaged of "));
  CHECK_FALSE(contains(damaged.out, data));  // the file by role and name, not by path

  // A bad --data is one line, exit 2.
  const Captured bad = run_captured({tally_bin(), "verify", "--data", dir.sub("missing")});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "is not a directory"));
}

TEST_CASE("serve's background scrub reports a table file damaged under it in /health and the log") {
  TempDir dir;
  const std::string data = dir.sub("data");
  Serve serve(data, {"--partitions", "4", "--scrub-interval", "1", "--scrub-rate", "64"}, true);
  HttpClient http(serve.port());
  fill(http, 3000);
  // The periodic flush (1 s) writes the table files; a pass reads them.
  std::pair<std::string, std::string> table;
  REQUIRE(eventually([&] {
    table = largest_store_table(data);
    return !table.second.empty();
  }, kScrub));
  std::string health;
  REQUIRE_MESSAGE(eventually([&] {
    health = scrub_health(http);
    return contains(health, "ok ok intact: ") && !contains(health, "intact: 0 table files");
  }, kScrub), health);
  CHECK(contains(health, "at most 64.0 MiB/s"));

  flip_bit(table.first + "/" + table.second, 0.975);
  const std::string where = "partition " + std::filesystem::path(table.first).filename().string() +
                            " store table " + table.second;
  REQUIRE_MESSAGE(eventually([&] {
    health = scrub_health(http);
    return contains(health, "degraded not-ok 1 damaged: " + where);
  }, kScrub), health);
  CHECK_FALSE(contains(health, data));
  CHECK(http.get("/health").status == 200);  // degraded, not down: queries still work
  // The operator log names it too.
  bool logged = false;
  while (auto line = serve.process().read_line(5s)) {
    if (contains(*line, "[scrub] damaged: " + where)) {
      logged = true;
      break;
    }
  }
  CHECK(logged);
}
