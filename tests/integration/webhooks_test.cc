// Webhooks on a real `tally serve` (docs/webhooks.md), delivered to a real
// HTTP receiver on loopback (tests/programs/webhook_receiver.py) that
// checks every signature with its own HMAC code and is told to answer,
// fail (500) or stall past the sender's timeout. While it fails the
// endpoint is marked failing in /health and /metrics, and retried with
// backoff; once it answers again it catches up from its cursor. serve is
// killed with SIGKILL and restarted in between. In the end each subscribed
// event arrived, each once by Tally-Webhook-Id (repeats identical), in
// order per partition, equal to the change stream's event at that cursor.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "engine/core/partitioner.h"
#include "engine/core/u128.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kParts = 2;
constexpr char kSecret[] = "test-secret-0123456789";

std::string account_in(uint32_t p, uint64_t* group) {
  for (uint64_t g = 1;; g++) {
    const u128 id = (u128{g} << 64) | 1;
    if (partition_of(AccountId(id), kParts).value == p) {
      *group = g;
      return u128_to_string(id);
    }
  }
}
std::string id_in(uint64_t g, uint64_t n) { return u128_to_string((u128{g} << 64) | n); }

struct Receiver {
  TempDir& dir;
  std::string mode_file = dir.sub("mode");
  std::string log_file = dir.sub("received.jsonl");
  std::unique_ptr<Process> process;
  uint16_t port = 0;

  explicit Receiver(TempDir& d) : dir(d) {
    set_mode("ok");
    const char* root = std::getenv("TALLY_SOURCE_ROOT");
    REQUIRE(root != nullptr);
    process = std::make_unique<Process>(std::vector<std::string>{
        "python3", std::string(root) + "/tests/programs/webhook_receiver.py", kSecret, mode_file, log_file});
    const std::optional<std::string> line = process->read_line(10s);
    REQUIRE(line.has_value());
    REQUIRE(line->rfind("listening ", 0) == 0);
    port = static_cast<uint16_t>(std::stoi(line->substr(10)));
  }
  void set_mode(const std::string& mode) { std::ofstream(mode_file) << mode << "\n"; }
  std::vector<boost::json::value> received() const {
    std::vector<boost::json::value> out;
    std::ifstream in(log_file);
    for (std::string line; std::getline(in, line);) out.push_back(boost::json::parse(line));
    return out;
  }
  size_t answered(unsigned status) const {
    size_t n = 0;
    for (const auto& r : received()) n += r.at("answered").to_number<unsigned>() == status;
    return n;
  }
};

std::vector<std::string> serve_args() {
  return {"--partitions", std::to_string(kParts), "--webhook-timeout-ms", "300", "--webhook-retry-max-ms", "400",
          "--webhook-failing-after", "3"};
}

bool health_says_failing(HttpClient& http) {
  const boost::json::value h = http.get("/health").json();
  for (const auto& c : h.at("components").as_array()) {
    if (str(c, "name") == "webhooks") return !c.at("ok").as_bool();
  }
  FAIL("no webhooks component in /health");
  return false;
}

}  // namespace

TEST_CASE("webhooks: signed, retried while failing or stalled, resumed across kill -9, each event once by id") {
  TempDir dir;
  Receiver receiver(dir);
  const std::string data = dir.sub("data");
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port) + "/hooks/tally";
  uint64_t g0 = 0, g1 = 0;
  const std::string a = account_in(0, &g0), c = account_in(1, &g1), b = id_in(g0, 2);
  std::string id;

  {
    Serve serve(data, serve_args());
    HttpClient http(serve.port());
    // Refusals name the field.
    HttpResult bad = http.post("/v1/admin/webhooks", R"({"url":"https://x:1/","events":["transfer.completed"],"secret":")" +
                                                         std::string(kSecret) + "\"}");
    CHECK(bad.status == 400);
    CHECK(bad.error().find("https is not supported") != std::string::npos);
    bad = http.post("/v1/admin/webhooks", R"({"url":")" + url + R"(","events":["transfer.done"],"secret":")" +
                                              std::string(kSecret) + "\"}");
    CHECK(bad.status == 400);
    CHECK(bad.error().find("unknown event \"transfer.done\"") != std::string::npos);
    bad = http.post("/v1/admin/webhooks", R"({"url":")" + url + R"(","events":["transfer.completed"],"secret":"short"})");
    CHECK(bad.status == 400);
    CHECK(bad.error().find("secret has 5 characters") != std::string::npos);

    HttpResult added = http.post(
        "/v1/admin/webhooks",
        R"({"url":")" + url +
            R"(","events":["transfer.completed","transfer.rejected","transfer.pending","pending.expired"],"secret":")" +
            kSecret + R"(","from":"start"})");
    REQUIRE(added.status == 201);
    id = str(added.json(), "id");
    CHECK(added.body.find(kSecret) == std::string::npos);

    REQUIRE(http.post("/v1/commands", commands_body({account_json(a, "\"history\""), account_json(b),
                                                     account_json(c)}, true)).status == 200);
    const std::string pending = R"({"type":"create_transfer","id":")" + id_in(g0, 13) + R"(","debit_account_id":")" +
                                a + R"(","credit_account_id":")" + b +
                                R"(","amount":"3","ledger":1,"code":1,"flags":["pending"],"timeout":1})";
    REQUIRE(http.post("/v1/commands", commands_body({transfer_json(id_in(g0, 10), a, b, "5"),
                                                     transfer_json(id_in(g0, 11), a, id_in(g0, 99), "1"), pending,
                                                     transfer_json(id_in(g0, 14), a, c, "11")}, true)).status == 200);
    // Delivered: the transfer, the rejection, the pending, its expiry, the saga's completion.
    REQUIRE(eventually([&] { return receiver.answered(200) >= 5; }, {20s, 50ms}));

    // The receiver fails: retried with backoff, then the endpoint is failing.
    receiver.set_mode("fail");
    REQUIRE(http.post("/v1/commands", commands_body({transfer_json(id_in(g0, 20), a, b, "1")}, true)).status == 200);
    REQUIRE(eventually([&] { return health_says_failing(http); }, {20s, 50ms}));
    CHECK(receiver.answered(500) >= 3);
    CHECK(http.get("/metrics").body.find("tally_webhook_failing{endpoint=\"" + id + "\"} 1") != std::string::npos);
    // It stalls past the timeout: still failing, the deliveries repeat.
    receiver.set_mode("stall");
    const size_t before = receiver.received().size();
    REQUIRE(eventually([&] { return receiver.received().size() >= before + 2; }, {20s, 50ms}));
    CHECK(health_says_failing(http));
    serve.process().signal(SIGKILL);
    CHECK(serve.process().wait() == 128 + SIGKILL);
  }

  receiver.set_mode("ok");
  Serve serve(data, serve_args());
  HttpClient http(serve.port());
  REQUIRE(http.post("/v1/commands", commands_body({transfer_json(id_in(g0, 21), a, b, "2")}, true)).status == 200);
  // Caught up from its cursor: 20 and 21 too, and no longer failing.
  std::map<std::string, boost::json::value> once;  // id -> the delivery answered 200
  REQUIRE(eventually([&] {
    once.clear();
    for (const auto& r : receiver.received()) {
      if (r.at("answered").to_number<unsigned>() == 200) once.emplace(str(r, "id"), r);
    }
    return once.size() == 7 && !health_says_failing(http);
  }, {20s, 50ms}));

  std::map<std::string, std::string> first_body;
  for (const auto& r : receiver.received()) {
    CHECK(r.at("signature_ok").as_bool());
    CHECK(str(r, "path") == "/hooks/tally");
    auto [it, fresh] = first_body.emplace(str(r, "id"), str(r, "body"));
    if (!fresh) CHECK(it->second == str(r, "body"));  // a repeat is the same delivery
  }
  // Each delivery is the change stream's event at its cursor, of a subscribed type.
  std::multiset<std::string> types;
  std::map<uint32_t, std::string> last;  // per partition, the last id, in order
  for (const auto& [cursor, r] : once) {
    const boost::json::value body = boost::json::parse(str(r, "body"));
    CHECK(str(body, "id") == cursor);
    CHECK(str(body, "type") == str(r, "event"));
    types.insert(str(body, "type"));
    const boost::json::value& ev = body.at("event");
    HttpResult at = http.get("/v1/events?from=" + cursor + "&limit=1");
    REQUIRE(at.status == 200);
    CHECK(boost::json::serialize(at.json().at("events").as_array().at(0)) == boost::json::serialize(ev));
  }
  CHECK(types.count("transfer.completed") == 4);  // 10, the saga 14, 20, 21
  CHECK(types.count("transfer.rejected") == 1);
  CHECK(types.count("transfer.pending") == 1);
  CHECK(types.count("pending.expired") == 1);
  // Deliveries came in log order per partition (ids of one partition only grow).
  std::map<std::string, std::vector<uint64_t>> order;
  for (const auto& r : receiver.received()) {
    if (r.at("answered").to_number<unsigned>() != 200) continue;
    const std::string cur = str(r, "id");
    order[cur.substr(0, cur.find('-'))].push_back(std::stoull(cur.substr(cur.find('-') + 1)));
  }
  for (const auto& [p, offsets] : order) CHECK(std::is_sorted(offsets.begin(), offsets.end()));

  HttpResult listed = http.get("/v1/admin/webhooks");
  REQUIRE(listed.status == 200);
  CHECK(listed.body.find(id) != std::string::npos);
  CHECK(listed.body.find(kSecret) == std::string::npos);
  // The same through `tally webhooks`.
  const std::string tally = built_program("TALLY_BIN");
  Captured cli = run_captured({tally, "webhooks", "list", "--http", serve.address()});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out.find(id + "  " + url + "  transfer.completed,transfer.rejected") != std::string::npos);
  cli = run_captured({tally, "webhooks", "add", "--http", serve.address(), "--url", url, "--events", "transfer.done",
                      "--secret", kSecret});
  CHECK(cli.exit_code != 0);
  CHECK(cli.err.find("unknown event \"transfer.done\"") != std::string::npos);
  cli = run_captured({tally, "webhooks", "remove", "--http", serve.address(), "--id", id});
  CHECK(cli.exit_code == 0);
  CHECK(http.request("DELETE", "/v1/admin/webhooks/" + id).status == 404);
  CHECK(http.get("/v1/admin/webhooks").json().at("webhooks").as_array().empty());
}
