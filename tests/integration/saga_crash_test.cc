// kill -9 at every saga step boundary. A child node
// (tests/programs/saga_node.cc) runs cross-partition transfers, six in ten
// credited by their destination and the rest rejected there (unknown
// account, other ledger, limit, closed), and is killed at crash points
// before and after the reservation commits, before and after the outbox
// relay's send, before and after the destination's decision commits, and
// before and after the reply that settles a saga commits; a later run
// finishes. Then every saga ended completed or compensated as its
// destination decided, settled by exactly one reply, the source posted
// exactly the completed ones, the transit accounts net to zero, and `tally
// reconcile` and `tally replay --verify` agree.
//
// Two directories: in the first no run ever flushes its stores (each
// restart replays the whole log, so every crash point is reached); in the
// second a clean stop leaves sagas in flight in flushed stores first, and
// the crashes come after it.
#include <doctest/doctest.h>
#include <signal.h>

#include <map>

#include "engine/log/embedded_log.h"
#include "engine/node/node.h"
#include "recovery/saga_status.h"
#include "tests/fixtures/ledger_checks.h"
#include "tests/fixtures/recovery_node.h"
#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/saga_workload.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kTransfers = 400;

std::string saga_node_bin() { return built_program("TALLY_SAGA_NODE"); }

enum class Mode { to_the_end, stop_midway, kill_midway };

struct Run {
  int exit_code = -1;
  std::string last_line;
};

// Runs the child with TALLY_CRASH_AT = `crash_at` (none if empty) until it
// exits; kill_midway sends SIGKILL at its first progress line with sagas in
// flight. A child that has not finished after 90 s is killed and fails the
// test (sagas that never settle).
Run run_child(const std::string& dir, const std::string& crash_at, Mode mode = Mode::to_the_end) {
  if (crash_at.empty()) {
    unsetenv("TALLY_CRASH_AT");
  } else {
    setenv("TALLY_CRASH_AT", crash_at.c_str(), 1);
  }
  std::vector<std::string> argv = {saga_node_bin(), dir, std::to_string(kTransfers)};
  if (mode == Mode::stop_midway) argv.push_back("stop-midway");
  Process child(argv);
  unsetenv("TALLY_CRASH_AT");
  Run run;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  };
  while (auto line = child.read_line(std::max(left(), std::chrono::milliseconds(1)))) {
    run.last_line = *line;
    unsigned long long sagas = 0, in_flight = 0;
    if (mode == Mode::kill_midway &&
        std::sscanf(line->c_str(), "progress sagas=%llu in_flight=%llu", &sagas, &in_flight) == 2 &&
        in_flight > 0) {
      child.signal(SIGKILL);
      break;
    }
    if (left().count() <= 0) break;
  }
  if (left().count() <= 0 && child.running()) {
    child.signal(SIGKILL);
    FAIL_CHECK("the child did not finish in 90 s; its last line: " << run.last_line);
  }
  run.exit_code = child.wait();
  return run;
}

// Every command the log holds, with the outcome it got, by subject.
using AppliedLog = std::map<u128, std::vector<Applied>>;

int count(const AppliedLog& applied, u128 id, std::string_view type, Outcome outcome) {
  int n = 0;
  auto it = applied.find(id);
  if (it == applied.end()) return 0;
  for (const auto& a : it->second) n += a.type == type && a.outcome == outcome;
  return n;
}

// The checks once the last run is done; the node applies whatever the log
// holds beyond the stores first (nothing should be left).
void check_sagas(const std::string& dir) {
  auto log = open_embedded_log({.dir = dir + "/log"});
  REQUIRE(log.ok());
  NodeOptions o{.data_dir = dir};
  o.run_scheduler = false;
  o.run_relay = false;
  auto opened = Node::open(std::move(log).value(), o);
  REQUIRE(opened.ok());
  Node& node = **opened;
  REQUIRE(node.start().ok());
  REQUIRE(node.wait_caught_up(60s).ok());
  const AppliedLog applied = applied_commands(node);
  std::vector<const PartitionStore*> stores;
  for (uint32_t p = 0; p < node.partition_count(); p++) stores.push_back(&node.store(Partition{p}));

  // What the workload says must have moved: per account, and per (source, destination).
  std::map<AccountId, u128> debited, credited;
  std::map<std::pair<uint32_t, uint32_t>, u128> moved;
  int wrong = 0;
  for (uint64_t i = 0; i < kTransfers; i++) {
    const CreateTransfer t = saga_transfer(i);
    const u128 id = t.id.value();
    const Outcome want = saga_expected(i);
    auto s = find_saga(stores, t.id);
    REQUIRE(s.ok());
    REQUIRE_MESSAGE(s->has_value(), "saga " << u128_to_string(id) << " is missing");
    const SagaStatus& g = **s;
    const SagaState state = want == Outcome::created ? SagaState::completed : SagaState::compensated;
    const bool settled_once = count(applied, id, "saga_reply", Outcome::saga_completed) +
                                  count(applied, id, "saga_reply", Outcome::saga_compensated) ==
                              1;
    const bool as_decided = g.saga.state == state && g.saga.result == want && g.leg &&
                            g.leg->result == want && g.credit.has_value() == (want == Outcome::created);
    const bool created_once = count(applied, id, "create_transfer", Outcome::created) == 1;
    const bool credited_once = count(applied, id, "saga_credit", Outcome::created) == (want == Outcome::created);
    if (!settled_once || !as_decided || !created_once || !credited_once) {
      wrong++;
      MESSAGE("saga " << u128_to_string(id) << ": settled once " << settled_once << ", as decided "
                      << as_decided << ", created once " << created_once << ", credited once " << credited_once);
    }
    if (want == Outcome::created) {
      debited[t.debit_account_id] += t.amount.value();
      credited[t.credit_account_id] += t.amount.value();
      moved[{g.saga.source.value, g.saga.destination.value}] += t.amount.value();
    }
  }
  CHECK(wrong == 0);
  for (const auto& [id, amount] : debited) {
    auto a = node.account(id);
    REQUIRE((a.ok() && a->has_value()));
    CHECK((*a)->balances.debits_posted == amount);
    CHECK((*a)->balances.debits_pending == 0);
  }
  for (const auto& [id, amount] : credited) {
    auto a = node.account(id);
    REQUIRE((a.ok() && a->has_value()));
    CHECK((*a)->balances.credits_posted == amount);
  }
  // The transit accounts net to zero: what each source completed, its
  // destination credited, and nothing is reserved any more.
  std::vector<Account> transit;
  for (const PartitionStore* store : stores) {
    auto t = transit_accounts(*store);
    REQUIRE(t.ok());
    transit.insert(transit.end(), t->begin(), t->end());
  }
  const std::vector<TransitFlow> flows = transit_flows(transit, node.partition_count());
  CHECK(flows.size() == moved.size());
  for (const TransitFlow& f : flows) {
    CHECK(f.completed == moved[{f.from.value, f.to.value}]);
    CHECK_MESSAGE(f.settled(), f.from.value << "->" << f.to.value << " reserved " << u128_to_string(f.reserved)
                                            << " completed " << u128_to_string(f.completed) << " credited "
                                            << u128_to_string(f.credited));
  }
  node.stop();  // flushes: the tools below read the stores
}

}  // namespace

TEST_CASE("kill -9 at every saga step boundary: every saga completes or compensates once, the books balance") {
  TempDir dir;
  const std::string data = dir.sub("data");
  // No run flushes its stores: each restart replays the whole log and
  // passes every step again, so each crash point is reached.
  for (const char* point : {"pipeline.before_commit.saga_reserve", "pipeline.after_commit.saga_reserve",
                            "relay.before_append", "relay.after_append",
                            "pipeline.before_commit.saga_decide", "pipeline.after_commit.saga_decide",
                            "relay.after_append:3",
                            "pipeline.before_commit.saga_settle", "pipeline.after_commit.saga_settle"}) {
    const Run r = run_child(data, point);
    CHECK_MESSAGE(r.exit_code == 128 + SIGKILL, std::string(point) << ": exit " << r.exit_code << ", last line " << r.last_line);
  }
  const Run last = run_child(data, "");
  REQUIRE_MESSAGE(last.exit_code == 0, last.last_line);
  CHECK(last.last_line == "done");
  check_sagas(data);
  check_reconcile_and_replay(data, dir.sub("replay"), kScenarioPartitions);

  // What an operator sees afterwards.
  const auto query = [&](std::vector<std::string> words) {
    words.insert(words.begin(), {tally_bin(), "query"});
    words.insert(words.end(), {"--data", data});
    const Captured c = run_captured(words);
    CHECK_MESSAGE(c.exit_code == 0, c.err);
    return c.out;
  };
  const std::string first = u128_to_string(saga_transfer(0).id.value());
  const std::string completed = query({"saga", first});
  CHECK(completed.starts_with("saga " + first + ": completed (created)\n"));
  CHECK(completed.find("credited in partition") != std::string::npos);
  const std::string eighteenth = u128_to_string(saga_transfer(18).id.value());
  const std::string compensated = query({"saga", eighteenth});
  CHECK(saga_expected(18) == Outcome::credit_account_not_found);
  CHECK(compensated.starts_with("saga " + eighteenth + ": compensated (credit_account_not_found)\n"));
  CHECK(compensated.find("rejected in partition") != std::string::npos);
  CHECK(compensated.find("voided in partition") != std::string::npos);
  CHECK(query({"transit"}).ends_with("all settled: the transit accounts net to zero\n"));
}

TEST_CASE("kill -9 after a clean stop left sagas in flight: the restarted node settles each once") {
  TempDir dir;
  const std::string data = dir.sub("data");
  Run r = run_child(data, "", Mode::stop_midway);
  REQUIRE(r.exit_code == 0);
  unsigned long long in_flight = 0;
  REQUIRE(std::sscanf(r.last_line.c_str(), "stopped in_flight=%llu", &in_flight) == 1);
  MESSAGE("stopped with " << in_flight << " sagas in flight");
  // From the flushed stores: killed as a reply settles a saga (if any was
  // left to settle), as the relay sends, and from outside mid-flight.
  r = run_child(data, "pipeline.after_commit.saga_settle");
  CHECK(r.exit_code == (in_flight > 0 ? 128 + SIGKILL : 0));
  r = run_child(data, "relay.after_append");
  MESSAGE("killed after a relay append: exit " << r.exit_code);
  r = run_child(data, "", Mode::kill_midway);
  MESSAGE("killed from outside: exit " << r.exit_code << " after " << r.last_line);
  r = run_child(data, "");
  REQUIRE_MESSAGE(r.exit_code == 0, r.last_line);
  CHECK(r.last_line == "done");
  check_sagas(data);
  check_reconcile_and_replay(data, dir.sub("replay"), kScenarioPartitions);
}
