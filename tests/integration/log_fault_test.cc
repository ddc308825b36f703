// Storage faults under a running `tally serve` (issue 16, items 1, 2, 7):
// a full disk under the embedded log or under the projection stores, a
// store directory that refuses writes, a damaged WAL at startup, reconcile
// without a log. Each case states what must happen; none may lose an
// acknowledged command silently or need a restart to recover.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <thread>

#include "tests/fixtures/eventually.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/file_damage.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"
#include "tests/fixtures/tmpfs.h"

using namespace tally::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One partition, so that every store write lands in the one store.
const std::vector<std::string> kOnePartition = {"--partitions", "1"};

void open_accounts(HttpClient& http) {
  const HttpResult r = http.post("/v1/commands", commands_body({account_json("7"), account_json("8")}, true));
  REQUIRE_MESSAGE(r.status == 200, r.body);
}

HttpResult send_transfer(HttpClient& http, const std::string& id) {
  std::string body = commands_body({transfer_json(id, "7", "8", "5")}, true);
  body.insert(body.size() - 1, R"(,"timeout_ms":3000)");
  return http.post("/v1/commands", body);
}

std::string component(HttpClient& http, const std::string& name) {
  const boost::json::value h = http.get("/health").json();
  for (const auto& c : h.at("components").as_array()) {
    if (str(c, "name") == name) return str(h, "status") + " " + str(c, "ok") + " " + str(c, "detail");
  }
  return str(h, "status") + " (no component " + name + ")";
}

// RocksDB polls a full disk's recovery every few seconds, and a loaded
// machine is slow.
constexpr Poll kRecovery{90s, 200ms};

// Runs `tally serve` expecting it to refuse to start; returns what it said.
std::string refused_start(const std::string& data) {
  Process p({tally_bin(), "serve", "--data", data, "--http", "127.0.0.1:0"}, true);
  std::string out;
  while (auto line = p.read_line(60s)) {
    out += *line + "\n";
    if (has(*line, "listening on")) break;
  }
  if (p.running()) p.signal(SIGKILL);
  const int code = p.wait();
  CHECK_MESSAGE(code != 0, out);
  return out;
}

}  // namespace

TEST_CASE("a full disk under the embedded log: appends answer 503 naming the disk and its free space, reads go on, appends resume without a restart") {
  TempDir dir;
  Tmpfs disk(dir.sub("data"), 32u << 20);
  if (!disk.mounted()) {
    MESSAGE("skipped: cannot mount a tmpfs here: " << disk.why_not());
    return;
  }
  Serve serve(dir.sub("data"), kOnePartition);
  HttpClient http(serve.port());
  open_accounts(http);
  REQUIRE(send_transfer(http, "1").status == 200);

  REQUIRE(disk.fill() > 0);
  // Before the fix: SIGABRT inside RocksDB (its LOG file on the full disk).
  // The WAL's last page may still hold a few records.
  HttpResult full;
  int id = 2;
  for (; id < 200; id++) {
    full = send_transfer(http, std::to_string(id));
    if (full.status != 200) break;
  }
  CHECK(full.status == 503);
  CHECK(has(full.error(), "the disk of the embedded log is full"));
  CHECK(has(full.error(), "free of"));
  CHECK_FALSE(has(full.error(), dir.path()));  // no host paths to clients
  CHECK(http.get("/v1/accounts/7").status == 200);
  CHECK(http.get("/v1/transfers/1").status == 200);
  const std::string degraded = component(http, "log");
  CHECK(has(degraded, "degraded false appends refused: the disk of the embedded log is full"));
  CHECK(serve.process().running());

  disk.unfill();
  CHECK(eventually([&] { return has(component(http, "log"), "ok true"); }, kRecovery));
  const HttpResult again = send_transfer(http, std::to_string(id));
  CHECK_MESSAGE(again.status == 200, again.body);
  CHECK(outcomes_of(again.json()) == "created");
  CHECK(serve.stop() == 0);
}

TEST_CASE("a full disk under the projection stores: the record is appended, the answer is 503 naming the store's disk, the partition resumes by itself") {
  TempDir dir;
  Tmpfs disk(dir.sub("data") + "/partitions", 16u << 20);
  if (!disk.mounted()) {
    MESSAGE("skipped: cannot mount a tmpfs here: " << disk.why_not());
    return;
  }
  // Checkpoints are allowed under --checkpoint-root only (issue 17).
  Serve serve(dir.sub("data"), {"--partitions", "1", "--checkpoint-root", dir.path()});
  HttpClient http(serve.port());
  open_accounts(http);
  REQUIRE(disk.fill() > 0);
  // A checkpoint flushes the store's memtable: the flush fails on the full
  // disk and RocksDB stops the store's writes (a background error).
  const std::string backup = dir.sub("backup");
  const HttpResult cp = http.post("/v1/admin/checkpoint", R"({"dir":")" + backup + R"("})");
  CHECK(cp.status != 200);

  // Before the fix: the pipeline stopped for good ("down") until a restart.
  const HttpResult stalled = send_transfer(http, "1");
  CHECK(stalled.status == 503);
  CHECK(has(stalled.error(), "appended at partition 0 offset"));
  CHECK(has(stalled.error(), "the disk of partition 0's store is full"));
  CHECK_FALSE(has(stalled.error(), dir.path()));
  CHECK(http.get("/v1/accounts/7").status == 200);
  CHECK(has(component(http, "pipeline/0"), "degraded false retrying"));

  disk.unfill();
  CHECK(eventually([&] { return http.get("/v1/transfers/1").status == 200; }, kRecovery));
  // The store shows the transfer a moment before the pipeline publishes its
  // applied offset to /health (metrics follow the commit): wait for that
  // moment, no longer (a flake under load otherwise).
  CHECK(eventually([&] { return has(component(http, "pipeline/0"), "ok true applied through offset 2"); }));
  CHECK(outcomes_of(send_transfer(http, "1").json()) == "exists");
  CHECK(serve.stop() == 0);
}

TEST_CASE("a store directory that stops taking writes: 503 naming it, reads go on, the partition degraded, not down") {
  // Root writes anywhere: serve runs as nobody so that permissions hold.
  const std::vector<std::string> nobody = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  if (run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "true"}).exit_code != 0) {
    MESSAGE("skipped: cannot run a process as nobody (setpriv) here");
    return;
  }
  TempDir dir;
  const std::string data = dir.sub("data");
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
  fs::create_directories(data);
  fs::create_directories(dir.sub("backups"));
  REQUIRE(run({"chown", "65534:65534", data, dir.sub("backups")}).exit_code == 0);
  const std::string store = data + "/partitions/0";
  {
    Serve serve(data, {"--partitions", "1", "--checkpoint-root", dir.sub("backups")}, false, nobody);
    HttpClient http(serve.port());
    open_accounts(http);
    fs::permissions(store, fs::perms::owner_write, fs::perm_options::remove);
    const HttpResult cp =
        http.post("/v1/admin/checkpoint", R"({"dir":")" + dir.sub("backups") + R"(/1"})");
    CHECK(cp.status != 200);

    // Before the fix: 500 while the command was appended, and the
    // partition down. RocksDB 7.8 cannot resume from failing to create a
    // file at a memtable switch: the message says a restart is needed.
    const HttpResult stalled = send_transfer(http, "1");
    CHECK(stalled.status == 503);
    CHECK(has(stalled.error(), "appended at partition 0 offset"));
    CHECK(has(stalled.error(), "the disk of partition 0's store refuses writes"));
    CHECK(has(stalled.error(), "restart"));
    CHECK_FALSE(has(stalled.error(), dir.path()));
    CHECK(http.get("/v1/accounts/8").status == 200);
    CHECK(has(component(http, "pipeline/0"), "degraded false retrying"));
    fs::permissions(store, fs::perms::owner_write, fs::perm_options::add);
    CHECK(serve.stop() == 0);
  }
  // The appended transfer was kept in the log: the restart applies it.
  Serve serve(data, kOnePartition, false, nobody);
  HttpClient http(serve.port());
  CHECK(eventually([&] { return http.get("/v1/transfers/1").status == 200; }, kRecovery));
  CHECK(outcomes_of(send_transfer(http, "1").json()) == "exists");
  CHECK(serve.stop() == 0);
}

TEST_CASE("serve refuses a data directory whose log's WAL is damaged, naming the damage, not \"another log or topic\"") {
  TempDir dir;
  const std::string data = dir.sub("data");
  {
    Serve serve(data, kOnePartition);
    HttpClient http(serve.port());
    open_accounts(http);
    for (int i = 1; i <= 200; i++) REQUIRE(send_transfer(http, std::to_string(i)).status == 200);
    REQUIRE(serve.stop() == 0);
  }
  const std::string wal = largest_file(data + "/log", ".log");
  REQUIRE(!wal.empty());
  flip_bit(wal, 0.75);

  // Before the fix: serve said "the data directory belongs to another log
  // or topic" (the stores had applied what the log had silently dropped).
  const std::string said = refused_start(data);
  CHECK(has(said, "damaged before its end"));
  CHECK(has(said, fs::path(wal).filename().string()));
  CHECK(has(said, "partition 0 from offset "));
  CHECK_FALSE(has(said, "another log or topic"));
}

TEST_CASE("tally reconcile on a data directory whose log/ is missing fails and says so") {
  TempDir dir;
  const std::string data = dir.sub("data");
  {
    Serve serve(data, kOnePartition);
    HttpClient http(serve.port());
    open_accounts(http);
    REQUIRE(serve.stop() == 0);
  }
  fs::rename(data + "/log", dir.sub("elsewhere"));
  // Before the fix: "clean", exit 0.
  const RunResult r = run({tally_bin(), "reconcile", "--data", data});
  CHECK(r.exit_code == 1);
  CHECK(has(r.output, "there is no log at"));
  const RunResult alone = run({tally_bin(), "reconcile", "--data", data, "--without-log"});
  CHECK_MESSAGE(alone.exit_code == 0, alone.output);
  CHECK(has(alone.output, "no log given"));
}
