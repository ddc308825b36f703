// `tally reconcile` as a process, over data a real node wrote: clean books
// exit 0; each corruption made on purpose (a changed balance, a deleted
// transfer, a duplicated posting, a dropped outcome) is found and named
// with its kind, id and first offset, exit 1; bad input exits 2.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "tests/fixtures/ledger_scenario.h"
#include "tests/fixtures/process.h"
#include "tests/fixtures/store_edit.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;

namespace {

// stdout only with --json (the report); stdout then stderr (the progress) otherwise.
RunResult reconcile(const std::string& data, bool json = false) {
  std::vector<std::string> argv = {tally_bin(), "reconcile", "--data", data};
  if (json) argv.push_back("--json");
  const Captured c = run_captured(argv, "", std::chrono::seconds(120));
  return RunResult{c.exit_code, json ? c.out : c.out + c.err};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The discrepancies of a --json report.
boost::json::array discrepancies(const RunResult& r) {
  boost::json::value v = boost::json::parse(r.output);
  CHECK(v.at("clean").as_bool() == (r.exit_code == 0));
  return v.at("discrepancies").as_array();
}

const boost::json::object* find(const boost::json::array& list, const std::string& kind,
                                const std::string& id) {
  for (const auto& d : list) {
    if (d.at("kind").as_string() == kind && d.at("id").as_string() == id) return &d.as_object();
  }
  return nullptr;
}

void edit_account(const std::string& data, AccountId id, const std::function<void(Account&)>& fn) {
  edit_store(data, Partition{0}, kScenarioPartitions, [&](PartitionStore& s, StoreBatch& b) {
    auto a = s.account(id);
    REQUIRE(a.ok());
    REQUIRE(a->has_value());
    Account changed = **a;
    fn(changed);
    b.put(keys::account(id), encode(changed));
  });
}

}  // namespace

TEST_CASE("tally reconcile exits 0 on the books a node kept") {
  TempDir dir;
  build_scenario(dir.sub("data"), 5);
  const RunResult r = reconcile(dir.sub("data"));
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "reconcile: clean"));
  CHECK(contains(r.output, "checked 4 partitions"));
  CHECK(contains(r.output, "reconcile: 100%  4 of 4 partitions"));  // progress, as replay shows it
  const RunResult j = reconcile(dir.sub("data"), true);
  CHECK(j.exit_code == 0);
  CHECK(discrepancies(j).empty());
}

TEST_CASE("a changed balance is named: balance_mismatch, the account, its first offset") {
  TempDir dir;
  const ScenarioIds ids = build_scenario(dir.sub("data"), 5);
  edit_account(dir.sub("data"), ids.b, [](Account& a) { a.balances.debits_posted += 7; });
  const RunResult r = reconcile(dir.sub("data"));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  // b was opened by partition 0's first record.
  CHECK(contains(r.output, "balance_mismatch  partition 0  account " + ids.b.str() + "  first offset 0"));
  CHECK(contains(r.output, "posted_unbalanced  partition 0  ledger 1"));
  const auto list = discrepancies(reconcile(dir.sub("data"), true));
  const auto* d = find(list, "balance_mismatch", ids.b.str());
  REQUIRE(d != nullptr);
  CHECK(d->at("partition").as_int64() == 0);
  CHECK(d->at("first_offset").as_int64() == 0);
  CHECK(d->at("found") != d->at("expected"));
  // b keeps its history: that no longer ends at the stored balances either.
  CHECK(find(list, "history_mismatch", ids.b.str()) != nullptr);
}

TEST_CASE("a deleted transfer record is named: missing_transfer, its id, its offset") {
  TempDir dir;
  const ScenarioIds ids = build_scenario(dir.sub("data"), 5);
  edit_store(dir.sub("data"), Partition{0}, kScenarioPartitions,
             [&](PartitionStore&, StoreBatch& b) { b.remove(keys::transfer(ids.single)); });
  const RunResult r = reconcile(dir.sub("data"), true);
  INFO(r.output);
  CHECK(r.exit_code == 1);
  const auto list = discrepancies(r);
  const auto* d = find(list, "missing_transfer", ids.single.str());
  REQUIRE(d != nullptr);
  CHECK(d->at("subject").as_string() == "transfer");
  CHECK(d->at("first_offset").as_int64() == 1);  // appended in partition 0's second record
  CHECK(find(list, "balance_mismatch", ids.a.str()) != nullptr);
  CHECK(find(list, "balance_mismatch", ids.b.str()) != nullptr);
}

TEST_CASE("a duplicated posting is named: duplicate_posting, the transfer, its offset") {
  TempDir dir;
  const ScenarioIds ids = build_scenario(dir.sub("data"), 5);
  const TransferId twice(make_u128(ids.a.hi(), 109));  // a -> b 400, partition 0's fourth record
  edit_store(dir.sub("data"), Partition{0}, kScenarioPartitions, [&](PartitionStore& s, StoreBatch& b) {
    auto meta = s.meta();
    REQUIRE(meta.ok());
    const Timestamp later{meta->last_timestamp.ns + 1};
    for (AccountId id : {ids.a, ids.b}) {
      auto a = s.account(id);
      REQUIRE(a.ok());
      Account changed = **a;
      if (id == ids.a) changed.balances.debits_posted += 400;
      if (id == ids.b) changed.balances.credits_posted += 400;
      b.put(keys::account(id), encode(changed));
      const bool flagged = (changed.flags & account_flags::history) != 0;
      HistoryBlock block{{{later, twice, flagged, flagged ? changed.balances : Balances{}}}};
      b.put(keys::history(id, later), encode(block));
    }
  });
  const RunResult r = reconcile(dir.sub("data"));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "duplicate_posting  partition 0  transfer " + twice.str() + "  first offset 3"));
  CHECK(!contains(r.output, "unbalanced"));  // the books still balance: only recomputing finds it
  const auto list = discrepancies(reconcile(dir.sub("data"), true));
  const auto* d = find(list, "duplicate_posting", twice.str());
  REQUIRE(d != nullptr);
  CHECK(d->at("found").as_string() == "2");
}

TEST_CASE("a dropped outcome is named: missing_outcomes at its offset") {
  TempDir dir;
  build_scenario(dir.sub("data"), 5);
  edit_store(dir.sub("data"), Partition{0}, kScenarioPartitions,
             [&](PartitionStore&, StoreBatch& b) { b.remove(keys::outcomes(Offset{2})); });
  const RunResult r = reconcile(dir.sub("data"));
  INFO(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "missing_outcomes  partition 0  offset 2  first offset 2"));
  const auto list = discrepancies(reconcile(dir.sub("data"), true));
  const auto* d = find(list, "missing_outcomes", "2");
  REQUIRE(d != nullptr);
  CHECK(d->at("first_offset").as_int64() == 2);
}

TEST_CASE("tally reconcile refuses bad input with one line and exit 2") {
  TempDir dir;
  run({"mkdir", "-p", dir.sub("empty")});
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{}, "give --data DIR"},
           {{"--data", dir.sub("missing")}, "is not a directory"},
           {{"--data", dir.sub("empty")}, "no projection stores"},
       }) {
    std::vector<std::string> argv = {tally_bin(), "reconcile"};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = run(argv);
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.output, message));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
}
