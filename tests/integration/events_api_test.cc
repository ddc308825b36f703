// The change stream on a real `tally serve` (docs/events.md): a subscriber
// follows each partition over Server-Sent Events, resuming with
// Last-Event-ID, while a script applies accounts, transfers, a rejection, a
// saga across partitions and an expiry; `tally serve` is killed with
// SIGKILL in the middle and restarted. Then the events received equal, in
// order and byte for byte, what the stores say (each position's outcome
// from GET /v1/offsets, the whole stream read again as JSON pages), with no
// position missing or repeated.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <map>

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

struct Sse {
  std::string id;    // the cursor to resume from
  std::string data;  // the event's JSON
};

// The messages of one SSE page; comments and retry lines are checked, not kept.
std::vector<Sse> parse_sse(const std::string& body) {
  std::vector<Sse> out;
  Sse cur;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find('\n', at);
    REQUIRE(end != std::string::npos);
    const std::string line = body.substr(at, end - at);
    at = end + 1;
    if (line.empty()) {
      if (!cur.data.empty()) {
        REQUIRE_FALSE(cur.id.empty());
        out.push_back(cur);
      }
      cur = {};
    } else if (line.rfind("id: ", 0) == 0) {
      cur.id = line.substr(4);
    } else if (line.rfind("data: ", 0) == 0) {
      cur.data = line.substr(6);
    } else {
      CHECK((line.rfind("retry: ", 0) == 0 || line.rfind(": ", 0) == 0));
    }
  }
  return out;
}

// An account id in the first group (upper 64 bits) that lands in partition p.
std::string account_in(uint32_t p, uint64_t n, uint64_t* group = nullptr) {
  for (uint64_t g = 1;; g++) {
    const u128 id = (u128{g} << 64) | n;
    if (partition_of(AccountId(id), kParts).value == p) {
      if (group) *group = g;
      return u128_to_string(id);
    }
  }
}
std::string id_in_group(uint64_t g, uint64_t n) { return u128_to_string((u128{g} << 64) | n); }

// One subscriber per partition, over SSE, resuming from the last id it got.
struct Subscriber {
  uint32_t partition;
  std::string resume;         // Last-Event-ID
  std::vector<Sse> received;  // in order

  // One page; returns how many events it brought.
  size_t poll(HttpClient& http, size_t limit) {
    http.set_header("Accept", "text/event-stream");
    http.set_header("Last-Event-ID", resume);
    HttpResult r = http.get("/v1/events?partition=" + std::to_string(partition) + "&limit=" +
                            std::to_string(limit) + "&wait_ms=100");
    http.set_header("Accept", "");
    http.set_header("Last-Event-ID", "");
    REQUIRE(r.status == 200);
    REQUIRE(r.content_type == "text/event-stream");
    const std::vector<Sse> page = parse_sse(r.body);
    for (const Sse& m : page) {
      received.push_back(m);
      resume = m.id;
    }
    if (!page.empty()) CHECK(r.header("Tally-Next-Cursor") == resume);
    return page.size();
  }
  bool saw(const std::string& type, const std::string& result) const {
    for (const Sse& m : received) {
      const boost::json::value v = boost::json::parse(m.data);
      if (str(v, "type") == type && str(v, "result") == result) return true;
    }
    return false;
  }
};

}  // namespace

TEST_CASE("change stream over SSE: a scripted run with a kill -9 in the middle loses and repeats nothing") {
  TempDir dir;
  const std::string data = dir.sub("data");
  uint64_t g0 = 0, g1 = 0;
  const std::string a = account_in(0, 1, &g0), b = id_in_group(g0, 2), c = account_in(1, 1, &g1);
  const std::string nowhere = id_in_group(g0, 99);
  std::vector<Subscriber> subs{{0, "", {}}, {1, "", {}}};

  {
    Serve serve(data, {"--partitions", std::to_string(kParts)});
    HttpClient http(serve.port());
    HttpResult r = http.post("/v1/commands", commands_body({account_json(a, "\"history\""), account_json(b, "\"history\""),
                                                            account_json(c, "\"history\"")}, true));
    REQUIRE(r.status == 200);
    r = http.post("/v1/commands",
                  commands_body({transfer_json(id_in_group(g0, 10), a, b, "5"),
                                 transfer_json(id_in_group(g0, 11), a, nowhere, "1"),
                                 transfer_json(id_in_group(g0, 12), a, b, "7")}, true));
    REQUIRE(r.status == 200);
    CHECK(outcomes_of(r.json()) == "created credit_account_not_found created");
    // Partition 0 read part way, two events a page.
    CHECK(subs[0].poll(http, 2) == 2);
    CHECK(subs[0].poll(http, 2) == 2);
    serve.process().signal(SIGKILL);
    CHECK(serve.process().wait() == 128 + SIGKILL);
  }

  Serve serve(data, {"--partitions", std::to_string(kParts)});
  HttpClient http(serve.port());
  const std::string expiring = R"({"type":"create_transfer","id":")" + id_in_group(g0, 13) + R"(","debit_account_id":")" +
                               a + R"(","credit_account_id":")" + b +
                               R"(","amount":"3","ledger":1,"code":1,"flags":["pending"],"timeout":1})";
  HttpResult r = http.post("/v1/commands", commands_body({expiring, transfer_json(id_in_group(g0, 14), a, c, "11")}, true));
  REQUIRE(r.status == 200);
  CHECK(outcomes_of(r.json()) == "created created");
  // Follow both partitions until the expiry and the saga's reply arrived
  // and a page comes back empty.
  const bool settled = eventually([&] {
    size_t got = 0;
    for (Subscriber& s : subs) got += s.poll(http, 3);
    return got == 0 && subs[0].saw("expire_pending", "expired") && subs[0].saw("saga_reply", "saga_completed") &&
           subs[1].saw("saga_credit", "created");
  }, {20s, 50ms});
  if (!settled) {
    for (const Subscriber& s : subs) {
      for (const Sse& m : s.received) MESSAGE(s.partition << ": " << m.data.substr(0, 160));
    }
  }
  REQUIRE(settled);

  for (Subscriber& s : subs) {
    CAPTURE(s.partition);
    // Positions: contiguous, each once, each event's cursor the previous id.
    std::string expect = std::to_string(s.partition) + "-0-0";
    std::map<uint64_t, boost::json::value> records;  // offset -> GET /v1/offsets answer
    for (const Sse& m : s.received) {
      const boost::json::value v = boost::json::parse(m.data);
      REQUIRE(str(v, "cursor") == expect);
      expect = m.id;
      const uint64_t offset = v.at("offset").to_number<uint64_t>();
      if (!records.count(offset)) {
        HttpResult o = http.get("/v1/offsets/" + std::to_string(s.partition) + "/" + std::to_string(offset));
        REQUIRE(o.status == 200);
        records[offset] = o.json();
      }
      const auto& outcomes = records[offset].at("outcomes").as_array();
      const uint64_t index = v.at("index").to_number<uint64_t>();
      REQUIRE(index < outcomes.size());
      CHECK(str(v, "result") == std::string(outcomes[index].as_string()));
    }
    // Every record of the partition is covered: the stream ends where it applied.
    HttpResult page = http.get("/v1/events?partition=" + std::to_string(s.partition) + "&limit=8189");
    REQUIRE(page.status == 200);
    const boost::json::value all = page.json();
    CHECK(str(all, "next_cursor") == expect);
    CHECK(page.header("Tally-Next-Cursor") == expect);
    // The same positions read again as JSON: the same bytes.
    const auto& events = all.at("events").as_array();
    REQUIRE(events.size() == s.received.size());
    for (size_t i = 0; i < events.size(); i++) CHECK(boost::json::serialize(events[i]) == s.received[i].data);
  }
  CHECK(subs[0].saw("create_transfer", "credit_account_not_found"));
}

TEST_CASE("GET /v1/events refuses what it cannot answer, naming the parameter") {
  TempDir dir;
  Serve serve(dir.sub("data"), {"--partitions", std::to_string(kParts)});
  HttpClient http(serve.port());
  const auto says = [&](const std::string& target, unsigned status, const std::string& text) {
    CAPTURE(target);
    HttpResult r = http.get(target);
    CHECK(r.status == status);
    CAPTURE(r.body);
    CHECK(r.error().find(text) != std::string::npos);
  };
  says("/v1/events", 400, "\"partition\"");
  says("/v1/events?partition=2", 400, "\"partition\"");
  says("/v1/events?partition=0&from=1-0-0", 400, "differs from the cursor's partition");
  says("/v1/events?from=0-x-0", 400, "query parameter \"from\"");
  says("/v1/events?from=0-99-0", 400, "past the end of partition 0");
  says("/v1/events?partition=0&limit=0", 400, "\"limit\"");
  says("/v1/events?partition=0&format=xml", 400, "\"format\"");
  says("/v1/events?partition=0&wait_ms=600000", 400, "\"wait_ms\"");
  http.set_header("Last-Event-ID", "zz");
  says("/v1/events?partition=0", 400, "header Last-Event-ID");
  http.set_header("Last-Event-ID", "");
  // An empty partition: an empty page, its cursor unchanged, after the wait.
  HttpResult r = http.get("/v1/events?partition=1&wait_ms=50");
  REQUIRE(r.status == 200);
  CHECK(r.json().at("events").as_array().empty());
  CHECK(str(r.json(), "next_cursor") == "1-0-0");
}

TEST_CASE("the example subscriber (docs/examples/events/subscribe.py) prints each event once across restarts") {
  TempDir dir;
  Serve serve(dir.sub("data"), {"--partitions", std::to_string(kParts)});
  HttpClient http(serve.port());
  uint64_t g0 = 0;
  const std::string a = account_in(0, 1, &g0), b = id_in_group(g0, 2);
  REQUIRE(http.post("/v1/commands", commands_body({account_json(a), account_json(b)}, true)).status == 200);
  const char* root = std::getenv("TALLY_SOURCE_ROOT");
  REQUIRE(root != nullptr);
  const std::string cursor_file = dir.sub("cursor");
  const std::vector<std::string> argv = {"python3", std::string(root) + "/docs/examples/events/subscribe.py",
                                         "http://" + serve.address(), "0", "--cursor-file", cursor_file,
                                         "--idle-exit", "0.5"};
  const auto lines = [](const std::string& out) {
    std::vector<std::string> v;
    for (size_t at = 0, end; (end = out.find('\n', at)) != std::string::npos; at = end + 1) v.push_back(out.substr(at, end - at));
    return v;
  };
  Captured first = run_captured(argv);
  REQUIRE(first.exit_code == 0);
  REQUIRE(http.post("/v1/commands", commands_body({transfer_json(id_in_group(g0, 1), a, b, "4")}, true)).status == 200);
  Captured second = run_captured(argv);
  REQUIRE(second.exit_code == 0);
  CAPTURE(first.err);
  CAPTURE(second.err);
  std::vector<std::string> got = lines(first.out);
  CHECK(got.size() == 2);
  for (const std::string& l : lines(second.out)) got.push_back(l);
  // Both runs together: the partition's whole stream, once, as the server has it.
  const boost::json::value all = http.get("/v1/events?partition=0").json();
  const auto& events = all.at("events").as_array();
  REQUIRE(got.size() == events.size());
  for (size_t i = 0; i < got.size(); i++) CHECK(got[i] == boost::json::serialize(events[i]));
  CHECK(run_captured({"cat", cursor_file}).out == str(all, "next_cursor"));
}
