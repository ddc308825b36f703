// Several `tally serve` processes in one consumer group on `tally broker`
// (docs/operations.md "Several serve processes"): each owns the partitions
// Kafka assigns it and applies them into its own data directory; sagas run
// between partitions owned by different processes; a query sent to the
// wrong process is answered 421 with the owner's address; a process that
// stops hands its partitions to the other, which replays what it missed
// and finishes the sagas that were in flight. The survivor's books balance
// and `tally reconcile` finds them clean.
//
// The mock cluster completes a rebalance only when its timer runs out
// (session.timeout.ms - 1 s), so the members use a 4 s session: each
// handover takes about 3 s.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <thread>

#include "engine/core/partitioner.h"
#include "engine/core/u128.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 8;

// A rebalance moves partitions in seconds; each poll asks both members over HTTP.
constexpr Poll kRebalance{20s, 50ms};

// The partitions a member owns now, from its /metrics.
std::set<uint32_t> owned(HttpClient& http) {
  std::set<uint32_t> out;
  const std::string text = http.get("/metrics").body;
  for (uint32_t p = 0; p < kPartitions; p++) {
    if (metric(text, "tally_partition_owned{partition=\"" + std::to_string(p) + "\"}") == 1) out.insert(p);
  }
  return out;
}

Partition partition_of_id(u128 id) { return partition_of(AccountId(id), kPartitions); }

// One account in each of `partitions`: ids differing in their upper 64 bits.
std::vector<u128> accounts_in(const std::set<uint32_t>& partitions) {
  std::vector<u128> out;
  std::set<uint32_t> left = partitions;
  for (uint64_t hi = 1; !left.empty(); hi++) {
    const u128 id = (u128{hi} << 64) | 7;
    if (left.erase(partition_of_id(id).value) != 0) out.push_back(id);
  }
  return out;
}

struct Transfer {
  std::string id;
  u128 debit, credit;
  uint64_t amount;
};

std::string commands_of(const std::vector<Transfer>& ts) {
  std::vector<std::string> cmds;
  for (const Transfer& t : ts) {
    cmds.push_back(transfer_json(t.id, u128_to_string(t.debit), u128_to_string(t.credit), std::to_string(t.amount)));
  }
  return commands_body(cmds, false);
}

using Sums = std::map<u128, std::pair<uint64_t, uint64_t>>;  // account: debits, credits posted

// Whether every account of `sums` has exactly those posted balances and
// nothing pending at the member that owns it: every saga settled.
bool settled(const Sums& sums, const std::function<HttpClient&(u128)>& owner_of) {
  for (const auto& [id, s] : sums) {
    const HttpResult r = owner_of(id).get("/v1/accounts/" + u128_to_string(id));
    if (r.status != 200) return false;
    const boost::json::value a = r.json();
    if (str(a, "debits_posted") != std::to_string(s.first) || str(a, "credits_posted") != std::to_string(s.second) ||
        str(a, "debits_pending") != "0" || str(a, "credits_pending") != "0") {
      return false;
    }
  }
  return true;
}

// "debits 10 credits 3 pending 0/0" of each account at its owner, for messages.
std::string books(const Sums& sums, const std::function<HttpClient&(u128)>& owner_of) {
  std::string out;
  for (const auto& [id, s] : sums) {
    const HttpResult r = owner_of(id).get("/v1/accounts/" + u128_to_string(id));
    out += u128_to_string(id) + " expects " + std::to_string(s.first) + "/" + std::to_string(s.second) + ": ";
    out += r.status == 200 ? str(r.json(), "debits_posted") + "/" + str(r.json(), "credits_posted") + " pending " +
                                 str(r.json(), "debits_pending") + "/" + str(r.json(), "credits_pending")
                           : r.body;
    out += "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("two serve processes in one group: sagas between their partitions; one stops, the other finishes them") {
  TempDir dir;
  Broker broker(kPartitions);
  const std::vector<std::string> member = {"--kafka", broker.bootstrap(), "--group", "tally-test",
                                           "-X", "session.timeout.ms=4000", "-X", "heartbeat.interval.ms=500"};
  Serve a(dir.sub("a"), member);
  Serve b(dir.sub("b"), member);
  CHECK(a.ready_line().find(", group tally-test as " + a.address() + ")") != std::string::npos);
  HttpClient http_a(a.port());
  HttpClient http_b(b.port());

  // Kafka splits the partitions between the two: each owns some, none twice.
  std::set<uint32_t> of_a, of_b;
  REQUIRE(eventually([&] {
    of_a = owned(http_a);
    of_b = owned(http_b);
    return !of_a.empty() && !of_b.empty() && of_a.size() + of_b.size() == kPartitions;
  }, kRebalance));
  for (uint32_t p : of_a) CHECK(of_b.count(p) == 0);

  // Each knows who owns the other's partitions (from the group's commits):
  // a query sent to the member that does not own the account names the owner.
  const std::vector<u128> on_a = accounts_in(of_a);
  const std::vector<u128> on_b = accounts_in(of_b);
  const std::string b_account = "/v1/accounts/" + u128_to_string(on_b[0]);
  HttpResult misdirected;
  CHECK(eventually([&] {
    misdirected = http_a.get(b_account);
    return misdirected.status == 421;
  }, kRebalance));
  CHECK(str(misdirected.json(), "owner") == b.address());
  CHECK(misdirected.error() == "partition " + std::to_string(partition_of_id(on_b[0]).value) +
                                   " is owned by " + b.address());
  CHECK(eventually([&] { return http_b.get("/v1/accounts/" + u128_to_string(on_a[0])).status == 421; }, kRebalance));

  // Accounts in every partition, opened through A: A waits for its own
  // partitions' outcomes and names B for the others.
  std::vector<std::string> opens;
  for (u128 id : on_a) opens.push_back(account_json(u128_to_string(id)));
  for (u128 id : on_b) opens.push_back(account_json(u128_to_string(id)));
  const HttpResult opened = http_a.post("/v1/commands", commands_body(opens, true));
  REQUIRE(opened.status == 200);
  const boost::json::value results = opened.json();
  for (size_t i = 0; i < opens.size(); i++) {
    const auto& r = results.at("results").as_array()[i];
    CHECK(str(r, i < on_a.size() ? "outcome" : "owner") == (i < on_a.size() ? "created" : b.address()));
  }
  CHECK(eventually([&] { return http_b.get(b_account).status == 200; }, kRebalance));
  auto owner_of = [&](u128 id) -> HttpClient& {
    return of_a.count(partition_of_id(id).value) != 0 ? http_a : http_b;
  };
  auto at_a = [&](u128) -> HttpClient& { return http_a; };

  // Transfers from A's accounts to B's and back: every one a saga between
  // the two processes.
  std::vector<Transfer> first, second;
  Sums expected;
  auto plan = [&](std::vector<Transfer>& ts, const std::string& prefix, size_t n) {
    for (size_t i = 0; i < n; i++) {
      const bool from_a = i % 2 == 0;
      const std::vector<u128>& src = from_a ? on_a : on_b;
      const std::vector<u128>& dst = from_a ? on_b : on_a;
      const u128 debit = src[i % src.size()];
      // The id in the debit account's group: it routes with it.
      const u128 id = (debit >> 64 << 64) | std::stoull(prefix + std::to_string(i));
      const Transfer t{u128_to_string(id), debit, dst[(i / 2) % dst.size()], 1 + i};
      expected[t.debit].first += t.amount;
      expected[t.credit].second += t.amount;
      ts.push_back(t);
    }
  };
  plan(first, "1000", 16);
  REQUIRE(http_b.post("/v1/commands", commands_of(first)).status == 200);
  CHECK_MESSAGE(eventually([&] { return settled(expected, owner_of); }, kRebalance), books(expected, owner_of));
  for (const Transfer& t : first) {
    const HttpResult r = owner_of(t.debit).get("/v1/transfers/" + t.id);
    CHECK((r.status == 200 && str(r.json(), "outcome") == "created"));
  }

  // A batch of sagas, and B stops right behind it: some are in flight
  // while B's partitions move to A.
  plan(second, "2000", 40);
  REQUIRE(http_a.post("/v1/commands", commands_of(second)).status == 200);
  CHECK(b.stop() == 0);

  // A takes every partition over, catches up and finishes every saga.
  CHECK(eventually([&] { return owned(http_a).size() == kPartitions; }, kRebalance));
  CHECK_MESSAGE(eventually([&] { return settled(expected, at_a); }, kRebalance), books(expected, at_a));
  CHECK(eventually([&] { return str(http_a.get("/health").json(), "status") == "ok"; }, {5s, 50ms}));
  // A kept its own partitions through the handover (cooperative
  // rebalancing; no progress commit raced the rejoin and lost them).
  const std::string group = http_a.get("/health").body;
  CHECK_MESSAGE(group.find("(0 of an assignment lost)") != std::string::npos, group);

  // Its data directory now holds every partition: the books reconcile.
  CHECK(a.stop() == 0);
  // Its log is the topic, not a DIR/log: the stores are checked alone.
  const RunResult reconciled = run({tally_bin(), "reconcile", "--data", dir.sub("a"), "--without-log"});
  CHECK_MESSAGE(reconciled.exit_code == 0, reconciled.output);
}

TEST_CASE("serve --group needs --kafka; --advertise needs --group") {
  TempDir dir;
  const Captured embedded = run_captured({tally_bin(), "serve", "--data", dir.sub("d"), "--group", "g"});
  CHECK(embedded.exit_code == 2);
  CHECK(embedded.err.find("--group needs --kafka") != std::string::npos);
  const Captured alone = run_captured({tally_bin(), "serve", "--data", dir.sub("d"), "--advertise", "h:1"});
  CHECK(alone.exit_code == 2);
  CHECK(alone.err.find("--advertise is for members of a consumer group") != std::string::npos);
}
