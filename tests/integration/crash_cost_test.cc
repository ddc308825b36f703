// What a kill -9 of `tally serve` costs afterwards (issue 16, item 3): the
// work after a crash is bounded by what was in flight at the crash, not by
// history.
//   - With no traffic, kill -9 after kill -9 does not grow the log: an
//     outbox entry the log already holds is not appended again (the relay's
//     progress survives the crash; recovery/relay.h).
//   - The replay after a crash is bounded by the periodic flush: once the
//     traffic stopped for longer than --flush-interval-ms, a restart after
//     kill -9 re-applies nothing.
#include <doctest/doctest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <thread>

#include "tests/fixtures/http_json.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kParts = 4;

std::string member(uint32_t p, uint64_t m) { return account_in(p, m, 23).str(); }

// Opens two accounts per partition, then posts `sagas` transfers, each from
// one partition to the next (every one a saga), and waits for them.
void cross_traffic(HttpClient& client, uint64_t sagas) {
  std::vector<std::string> accounts;
  for (uint32_t p = 0; p < kParts; p++) {
    for (uint64_t m = 1; m <= 2; m++) accounts.push_back(account_json(member(p, m)));
  }
  REQUIRE(client.post("/v1/commands", commands_body(accounts, true)).status == 200);
  for (uint64_t next = 1; next <= sagas;) {
    std::vector<std::string> batch;
    for (; batch.size() < 50 && next <= sagas; next++) {
      const uint32_t p = next % kParts;
      // The id in the debit account's group, so it routes with it.
      const std::string id = u128_to_string(make_u128(account_in(p, 1, 23).hi(), 5'000 + next));
      batch.push_back(transfer_json(id, member(p, 1),
                                    member((p + 1) % kParts, 2), "1"));
    }
    const HttpResult r = client.post("/v1/commands", commands_body(batch, true));
    REQUIRE_MESSAGE(r.status == 200, r.body);
  }
}

struct Position {
  uint64_t log_records = 0;  // over every partition
  bool settled = false;      // everything applied, relayed, no saga in flight
};

Position position(HttpClient& client) {
  const std::string text = client.get("/metrics").body;
  Position pos;
  pos.settled = metric(text, "tally_outbox_pending") == 0;
  for (uint32_t p = 0; p < kParts; p++) {
    const std::string label = "{partition=\"" + std::to_string(p) + "\"}";
    const long long applied = metric(text, "tally_applied_offset" + label);
    const long long lag = metric(text, "tally_lag_records" + label);
    const long long in_flight = metric(text, "tally_sagas_in_flight" + label);
    if (applied < 0 || lag < 0) return Position{};
    pos.log_records += static_cast<uint64_t>(applied + lag);
    pos.settled = pos.settled && lag == 0 && in_flight == 0;
  }
  return pos;
}

// Waits until the node has settled and its log stayed the same for a
// second (a relay re-sending entries appends, then applies them).
uint64_t settled_log_length(HttpClient& client) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  uint64_t last = 0;
  int stable = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const Position p = position(client);
    stable = (p.settled && p.log_records == last) ? stable + 1 : 0;
    last = p.log_records;
    if (stable >= 10) return last;
    std::this_thread::sleep_for(100ms);
  }
  FAIL("serve did not settle within 60 s");
  return 0;
}

void kill9(Serve& serve) {
  serve.process().signal(SIGKILL);
  REQUIRE(serve.process().wait() == 128 + SIGKILL);
}

long long commands_applied(HttpClient& client) {
  const std::string text = client.get("/metrics").body;
  long long total = 0;
  size_t at = 0;
  while ((at = text.find("\ntally_commands_total{", at)) != std::string::npos) {
    at = text.find("} ", at);
    total += std::stoll(text.substr(at + 2));
  }
  return total;
}

}  // namespace

TEST_CASE("kill -9 after kill -9 with no traffic: the log does not grow") {
  TempDir dir;
  const std::string data = dir.sub("data");
  const std::vector<std::string> args{"--partitions", std::to_string(kParts)};
  uint64_t before = 0;
  {
    Serve serve(data, args);
    HttpClient client(serve.port());
    cross_traffic(client, 400);
    before = settled_log_length(client);
    kill9(serve);
  }
  for (int round = 1; round <= 4; round++) {
    Serve serve(data, args);
    HttpClient client(serve.port());
    const uint64_t after = settled_log_length(client);
    CAPTURE(round);
    CHECK(after == before);  // nothing re-sent: the log holds every entry once
    kill9(serve);
  }
}

TEST_CASE("after the periodic flush, a restart after kill -9 re-applies nothing") {
  TempDir dir;
  const std::string data = dir.sub("data");
  const std::vector<std::string> args{"--partitions", std::to_string(kParts), "--flush-interval-ms",
                                      "200"};
  {
    Serve serve(data, args);
    HttpClient client(serve.port());
    cross_traffic(client, 200);
    (void)settled_log_length(client);  // a second with no traffic: flushed
    kill9(serve);
  }
  Serve serve(data, args);
  HttpClient client(serve.port());
  (void)settled_log_length(client);
  CHECK(commands_applied(client) == 0);
}
