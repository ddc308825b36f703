// kill -9 of `tally serve` under load (embedded log, 4 partitions). Two
// producer threads POST batches of transfers with "wait":true and record
// every acknowledged outcome; the test kills serve mid-load, restarts it,
// and sends everything again as a client that lost its answers would. Then:
//   - nothing acknowledged is lost: every acknowledged transfer is stored
//     with the outcome it was acknowledged with, and sending it again
//     answers `exists` (created) or the same rejection;
//   - nothing is applied twice: each account's balances are exactly the sum
//     of the created transfers that name it (a fifth of them cross
//     partitions, as sagas, all completed), nothing pending;
//   - once serve stops, `tally reconcile` passes and a clean replay of the
//     log reproduces every partition's digest (`tally replay --verify`).
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "tests/integration/http_helpers.h"
#include "tests/integration/ledger_checks.h"
#include "tests/support/http_client.h"
#include "tests/support/ledger_scenario.h"
#include "tests/support/serve.h"
#include "tests/support/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

constexpr uint32_t kParts = kScenarioPartitions;
constexpr uint64_t kMembers = 4;  // accounts per partition; member 1 may not overdraw

std::string account_id(uint32_t p, uint64_t m) { return account_in(p, m, 21).str(); }

struct Sent {
  std::string debit, credit;
  uint64_t amount = 0;
  uint64_t group = 0;  // the debit account's upper 64 bits
};

// Transfer `id`'s id on the wire: in its debit account's group, so it routes
// with it (docs/design.md "One transfer id, one partition").
std::string wire_id(uint64_t id, const Sent& s) { return u128_to_string(make_u128(s.group, id)); }

// What the producers sent and what serve acknowledged, by transfer id.
struct Traffic {
  std::mutex mu;
  std::map<uint64_t, Sent> sent;             // GUARDED_BY(mu)
  std::map<uint64_t, std::string> acked;     // GUARDED_BY(mu): id → outcome
  std::vector<std::string> errors;           // GUARDED_BY(mu): why a producer stopped
};

std::string transfer_body(uint64_t id, const Sent& s) {
  return transfer_json(wire_id(id, s), s.debit, s.credit, std::to_string(s.amount));
}

// Posts batches of 40 random transfers (ids from `first`) until `stop` or
// until serve stops answering.
void produce(uint16_t port, uint64_t first, uint32_t seed, std::atomic<bool>& stop, Traffic& traffic) {
  std::mt19937 rng(seed);
  uint64_t next = first;
  try {
    HttpClient client(port);
    while (!stop) {
      std::vector<std::string> commands;
      std::vector<uint64_t> ids;
      {
        std::lock_guard lock(traffic.mu);
        for (int i = 0; i < 40; i++) {
          const uint32_t p = rng() % kParts;
          const uint32_t q = rng() % 5 == 0 ? (p + 1 + rng() % (kParts - 1)) % kParts : p;  // a fifth cross
          const uint64_t m = 1 + rng() % kMembers;
          const uint64_t n = 1 + (m + rng() % (kMembers - 1)) % kMembers;  // another member
          const Sent s{account_id(p, m), account_id(q, n), 1 + rng() % 100, account_in(p, m, 21).hi()};
          traffic.sent[next] = s;
          commands.push_back(transfer_body(next, s));
          ids.push_back(next++);
        }
      }
      const HttpResult r = client.post("/v1/commands", commands_body(commands, true));
      if (r.status != 200) throw std::runtime_error("status " + std::to_string(r.status) + ": " + r.body);
      const json::value answer = r.json();
      const json::array& results = answer.at("results").as_array();
      std::lock_guard lock(traffic.mu);
      for (size_t i = 0; i < ids.size(); i++) {
        traffic.acked[ids[i]] = std::string(results.at(i).at("outcome").as_string());
      }
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(traffic.mu);
    traffic.errors.push_back(e.what());
  }
}

// Sends every transfer again, in batches; returns id → outcome.
std::map<uint64_t, std::string> resend(HttpClient& client, const std::map<uint64_t, Sent>& sent) {
  std::map<uint64_t, std::string> out;
  auto it = sent.begin();
  while (it != sent.end()) {
    std::vector<std::string> commands;
    std::vector<uint64_t> ids;
    for (; it != sent.end() && commands.size() < 500; ++it) {
      commands.push_back(transfer_body(it->first, it->second));
      ids.push_back(it->first);
    }
    const HttpResult r = client.post("/v1/commands", commands_body(commands, true));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    const json::value answer = r.json();
    const json::array& results = answer.at("results").as_array();
    for (size_t i = 0; i < ids.size(); i++) out[ids[i]] = std::string(results.at(i).at("outcome").as_string());
  }
  return out;
}

long long sagas_in_flight(HttpClient& client) {
  const std::string text = client.get("/metrics").body;
  long long total = 0;
  for (uint32_t p = 0; p < kParts; p++) {
    const long long v = metric(text, "tally_sagas_in_flight{partition=\"" + std::to_string(p) + "\"}");
    if (v < 0) return -1;
    total += v;
  }
  return total;
}

}  // namespace

TEST_CASE("kill -9 of tally serve under load: nothing acknowledged lost, nothing applied twice, replay matches") {
  TempDir dir;
  const std::string data = dir.sub("data");
  Traffic traffic;
  {
    Serve serve(data, {"--partitions", std::to_string(kParts)});
    HttpClient client(serve.port());
    std::vector<std::string> accounts;
    for (uint32_t p = 0; p < kParts; p++) {
      for (uint64_t m = 1; m <= kMembers; m++) {
        accounts.push_back(account_json(account_id(p, m), m == 1 ? "\"debits_must_not_exceed_credits\"" : ""));
      }
    }
    const HttpResult r = client.post("/v1/commands", commands_body(accounts, true));
    REQUIRE(r.status == 200);
    REQUIRE(outcomes_of(r.json()).find_first_not_of("created ") == std::string::npos);

    std::atomic<bool> stop{false};
    std::thread a(produce, serve.port(), 1'000'000, 1, std::ref(stop), std::ref(traffic));
    std::thread b(produce, serve.port(), 2'000'000, 2, std::ref(stop), std::ref(traffic));
    // Under load: kill once a few hundred transfers are acknowledged.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (;;) {
      std::this_thread::sleep_for(20ms);
      std::lock_guard lock(traffic.mu);
      if (traffic.acked.size() >= 600 || std::chrono::steady_clock::now() > deadline) break;
    }
    serve.process().signal(SIGKILL);
    CHECK(serve.process().wait() == 128 + SIGKILL);
    stop = true;
    a.join();
    b.join();
  }
  MESSAGE(traffic.acked.size() << " acknowledged of " << traffic.sent.size() << " sent before the kill");
  REQUIRE(traffic.acked.size() >= 600);
  CHECK(traffic.errors.size() == 2);  // both producers lost their connection
  CHECK(traffic.acked.size() < traffic.sent.size());  // some were in flight

  Serve serve(data, {"--partitions", std::to_string(kParts)});
  HttpClient client(serve.port());
  const std::map<uint64_t, std::string> again = resend(client, traffic.sent);
  int lost = 0;
  for (const auto& [id, outcome] : traffic.acked) {
    const std::string want = outcome == "created" ? "exists" : outcome;
    if (again.at(id) != want) {
      lost++;
      MESSAGE("transfer " << id << " was acknowledged " << outcome << ", sent again: " << again.at(id));
    }
  }
  CHECK(lost == 0);
  long long in_flight = -1;
  for (int i = 0; i < 500 && (in_flight = sagas_in_flight(client)) != 0; i++) std::this_thread::sleep_for(20ms);
  REQUIRE(in_flight == 0);

  // Every transfer as stored, and the balances they add up to.
  std::map<std::string, std::array<uint64_t, 2>> expected;  // account → debits, credits posted
  int differ = 0;
  for (const auto& [id, s] : traffic.sent) {
    const HttpResult t = client.get("/v1/transfers/" + wire_id(id, s));
    REQUIRE(t.status == 200);
    const std::string stored = str(t.json(), "outcome");
    const auto acked = traffic.acked.find(id);
    if (acked != traffic.acked.end() && acked->second != stored) differ++;
    if (stored != "created") continue;
    expected[s.debit][0] += s.amount;
    expected[s.credit][1] += s.amount;
  }
  CHECK(differ == 0);
  for (uint32_t p = 0; p < kParts; p++) {
    for (uint64_t m = 1; m <= kMembers; m++) {
      const std::string id = account_id(p, m);
      const json::value a = client.get("/v1/accounts/" + id).json();
      CAPTURE(id);
      CHECK(str(a, "debits_posted") == std::to_string(expected[id][0]));
      CHECK(str(a, "credits_posted") == std::to_string(expected[id][1]));
      CHECK(str(a, "debits_pending") == "0");
      CHECK(str(a, "credits_pending") == "0");
    }
  }
  CHECK(client.get("/v1/transit").json().at("settled").as_bool());
  REQUIRE(serve.stop() == 0);
  check_reconcile_and_replay(data, dir.sub("replay"), kParts);
}
