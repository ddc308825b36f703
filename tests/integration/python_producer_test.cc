// tools/python/tally_producer.py end to end: a producer in another language
// builds records from the published schema (engine/schema/tally.fbs, through
// code flatc generates for Python), routes them like Tally and appends them
// to Kafka (`tally broker`). What a `tally serve` on that topic answers —
// outcomes, balances, and every field as it was sent — proves the records
// right; the producer exiting 0 proves nothing on its own.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <map>

#include "engine/core/partitioner.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally::test;
using tally::make_u128;

namespace {

constexpr uint32_t kPartitions = 4;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The producer as a user runs it: Debian's Python, PYTHONPATH at the code
// flatc generated in the build directory (meson passes the three paths).
std::vector<std::string> producer_argv(std::vector<std::string> args) {
  const std::string python = env("TALLY_PYTHON");
  REQUIRE_MESSAGE(!python.empty(),
                  "no Python with confluent_kafka and flatbuffers was found at meson setup; "
                  "tools/dev setup installs python3-confluent-kafka and python3-flatbuffers");
  std::vector<std::string> argv = {"env", "PYTHONPATH=" + env("TALLY_PYTHON_GEN"), python,
                                   env("TALLY_PYTHON_PRODUCER")};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

struct Produced {
  int exit_code;
  std::string out;  // stdout only: librdkafka's and the producer's messages go to stderr
};

Produced produce(const std::string& bootstrap, const std::vector<std::string>& lines,
                 std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--kafka", bootstrap, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  Process p(producer_argv(args));
  std::string input;
  for (const std::string& l : lines) input += l + "\n";
  p.write_stdin(input);
  p.close_stdin();
  std::string out = p.read_all();
  return {p.wait(), std::move(out)};
}

std::string id(uint64_t hi, uint64_t lo) { return tally::u128_to_string(make_u128(hi, lo)); }
std::string partition_of(uint64_t hi) {
  return std::to_string(tally::partition_of(tally::AccountId(make_u128(hi, 1)), kPartitions).value);
}

RunResult query(const Serve& serve, std::vector<std::string> args) {
  args.insert(args.begin(), {tally_bin(), "query", "--http", serve.address()});
  args.push_back("--json");
  return run(args);
}

// "key=value key=value" of the chosen fields of a JSON answer.
std::string fields(const boost::json::value& v, std::initializer_list<const char*> keys) {
  std::string out;
  for (const char* k : keys) out += (out.empty() ? "" : " ") + std::string(k) + "=" + str(v, k);
  return out;
}

std::string account(const Serve& serve, const std::string& account_id) {
  const RunResult r = query(serve, {"account", account_id});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  return fields(boost::json::parse(r.output), {"ledger", "code", "flags", "user_data_128", "user_data_64",
                                               "user_data_32", "debits_pending", "debits_posted",
                                               "credits_pending", "credits_posted", "outcome"});
}

// "partition P lines 1,2,3" for each record the producer reported, and the
// outcome of every input line, read from Tally by the record's position.
struct Records {
  std::vector<std::string> placements;
  std::map<int64_t, std::string> outcome_of_line;
};

Records records_of(const Serve& serve, const std::string& producer_out) {
  Records r;
  size_t start = 0;
  while (start < producer_out.size()) {
    const size_t end = producer_out.find('\n', start);
    const boost::json::value rec = boost::json::parse(producer_out.substr(start, end - start));
    start = end == std::string::npos ? producer_out.size() : end + 1;
    const std::string p = str(rec, "partition"), o = str(rec, "offset");
    std::string lines;
    for (const auto& l : rec.at("lines").as_array()) lines += (lines.empty() ? "" : ",") + boost::json::serialize(l);
    r.placements.push_back("partition " + p + " lines " + lines);
    const RunResult answer = query(serve, {"offset", p, o, "--wait-ms", "20000"});
    REQUIRE_MESSAGE(answer.exit_code == 0, answer.output);
    const boost::json::value applied = boost::json::parse(answer.output);
    REQUIRE_MESSAGE(applied.as_object().contains("outcomes"), answer.output);  // not quarantined
    const auto& outcomes = applied.at("outcomes").as_array();
    const auto& numbers = rec.at("lines").as_array();
    REQUIRE(outcomes.size() == numbers.size());
    for (size_t i = 0; i < outcomes.size(); i++) {
      r.outcome_of_line[numbers[i].as_int64()] = std::string(outcomes[i].as_string());
    }
  }
  return r;
}

std::string outcomes(const Records& r) {
  std::string out;
  for (const auto& [line, outcome] : r.outcome_of_line) {
    out += (out.empty() ? "" : " ") + std::to_string(line) + ":" + outcome;
  }
  return out;
}

// Two tenants (upper 64 bits) that land in different partitions.
std::pair<uint64_t, uint64_t> two_tenants() {
  const uint64_t a = 0x5EED000000000001ull;
  uint64_t b = a + 1;
  while (partition_of(b) == partition_of(a)) b++;
  return {a, b};
}

struct Cluster {
  TempDir dir;
  Broker broker{kPartitions};
  std::string bootstrap = broker.bootstrap();
  Serve serve{dir.sub("data"), {"--kafka", bootstrap}};
};

}  // namespace

TEST_CASE("the producer's self-check and routing agree with Tally's partitioner") {
  const RunResult check = run(producer_argv({"--self-check"}));
  CHECK_MESSAGE(check.exit_code == 0, check.output);
  CHECK(check.output.rfind("self-check: ok", 0) == 0);
  // The same account ids through Python's murmur2 and Tally's, for several
  // partition counts: upper bits that differ, and a lower half that must not matter.
  for (const auto& [hi, lo] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 5}, {42, 1}, {42, ~0ull}, {0xDEADBEEF, 7}, {0x0102030405060708ull, 9}, {~0ull >> 1, 3}}) {
    for (uint32_t n : {1u, 4u, 8u, 12u, 1000u}) {
      const RunResult r = run(producer_argv({"--route", id(hi, lo), "--partitions", std::to_string(n)}));
      REQUIRE_MESSAGE(r.exit_code == 0, r.output);
      const std::string want = "partition " +
                               std::to_string(tally::partition_of(tally::AccountId(make_u128(hi, lo)), n).value) +
                               " of " + std::to_string(n) + "\n";
      CHECK_MESSAGE(r.output.ends_with(want), r.output);
    }
  }
}

TEST_CASE("records the Python producer appends are applied: outcomes, balances and fields as sent") {
  const auto [ta, tb] = two_tenants();
  const std::string merchant = id(ta, 1), fees = id(ta, 2), customer = id(ta, 3);
  const std::string other = id(tb, 1), other2 = id(tb, 2);
  const std::vector<std::string> input = {
      // 1-4: accounts; the merchant's fields use every bit of their width
      R"({"type":"create_account","id":")" + merchant + R"(","ledger":700,"code":10,)"
          R"("flags":["debits_must_not_exceed_credits","history"],)"
          R"("user_data_128":"340282366920938463463374607431768211454",)"
          R"("user_data_64":"18446744073709551615","user_data_32":4294967295})",
      R"({"type":"create_account","id":")" + fees + R"(","ledger":700,"code":20})",
      R"({"type":"create_account","id":")" + other + R"(","ledger":700,"code":40})",
      R"({"type":"create_account","id":")" + customer + R"(","ledger":700,"code":30,"user_data_64":77})",
      // 5-8: funds in; a fee; a fee over the merchant's credits; the fee again
      R"({"type":"create_transfer","id":")" + id(ta, 5001) + R"(","debit_account_id":")" + customer + R"(","credit_account_id":")" +
          merchant + R"(","amount":"1000","ledger":700,"code":1,"user_data_128":"18446744073709551616",)"
          R"("user_data_64":7,"user_data_32":8})",
      R"({"type":"create_transfer","id":")" + id(ta, 5002) + R"(","debit_account_id":")" + merchant + R"(","credit_account_id":")" +
          fees + R"(","amount":"30","ledger":700,"code":2})",
      R"({"type":"create_transfer","id":")" + id(ta, 5003) + R"(","debit_account_id":")" + merchant + R"(","credit_account_id":")" +
          fees + R"(","amount":"5000","ledger":700,"code":2})",
      R"({"type":"create_transfer","id":")" + id(ta, 5002) + R"(","debit_account_id":")" + merchant + R"(","credit_account_id":")" +
          fees + R"(","amount":"30","ledger":700,"code":2})",
      // 9-10: a pending transfer, posted in full (a post without an amount)
      R"({"type":"create_transfer","id":")" + id(ta, 5004) + R"(","debit_account_id":")" + customer + R"(","credit_account_id":")" +
          merchant + R"(","amount":"200","ledger":700,"code":3,"flags":["pending"],"timeout":3600})",
      R"({"type":"create_transfer","id":")" + id(ta, 5005) + R"(","pending_id":")" + id(ta, 5004) + R"(","debit_account_id":")" + customer +
          R"(","flags":["post_pending"]})",
      // 11-12: the other tenant, in its own partition
      R"({"type":"create_account","id":")" + other2 + R"(","ledger":700,"code":40})",
      R"({"type":"create_transfer","id":")" + id(tb, 5006) + R"(","debit_account_id":")" + other + R"(","credit_account_id":")" +
          other2 + R"(","amount":"5","ledger":700,"code":4})",
  };
  Cluster c;
  const Produced p = produce(c.bootstrap, input);
  REQUIRE_MESSAGE(p.exit_code == 0, p.out);

  // One record per partition, each holding its commands in input order.
  const Records r = records_of(c.serve, p.out);
  std::vector<std::string> placements = r.placements;
  std::sort(placements.begin(), placements.end());
  std::vector<std::string> want = {"partition " + partition_of(ta) + " lines 1,2,4,5,6,7,8,9,10",
                                   "partition " + partition_of(tb) + " lines 3,11,12"};
  std::sort(want.begin(), want.end());
  CHECK(placements == want);
  CHECK(outcomes(r) ==
        "1:created 2:created 3:created 4:created 5:created 6:created 7:exceeds_credits 8:exists "
        "9:created 10:created 11:created 12:created");

  CHECK(account(c.serve, merchant) ==
        "ledger=700 code=10 flags=[\"debits_must_not_exceed_credits\",\"history\"] "
        "user_data_128=340282366920938463463374607431768211454 user_data_64=18446744073709551615 "
        "user_data_32=4294967295 debits_pending=0 debits_posted=30 credits_pending=0 credits_posted=1200 "
        "outcome=created");
  CHECK(account(c.serve, customer) ==
        "ledger=700 code=30 flags=[] user_data_128=0 user_data_64=77 user_data_32=0 debits_pending=0 "
        "debits_posted=1200 credits_pending=0 credits_posted=0 outcome=created");
  CHECK(account(c.serve, fees).find("debits_posted=0 credits_pending=0 credits_posted=30 ") != std::string::npos);
  CHECK(account(c.serve, other).find("debits_posted=5 credits_pending=0 credits_posted=0 ") != std::string::npos);
  CHECK(account(c.serve, other2).find("debits_posted=0 credits_pending=0 credits_posted=5 ") != std::string::npos);

  const auto transfer = [&](const std::string& tid, std::initializer_list<const char*> keys) {
    const RunResult t = query(c.serve, {"transfer", tid});
    REQUIRE_MESSAGE(t.exit_code == 0, t.output);
    return fields(boost::json::parse(t.output), keys);
  };
  CHECK(transfer(id(ta, 5001), {"debit_account_id", "credit_account_id", "amount", "ledger", "code", "user_data_128",
                          "user_data_64", "user_data_32", "outcome"}) ==
        "debit_account_id=" + customer + " credit_account_id=" + merchant +
            " amount=1000 ledger=700 code=1 user_data_128=18446744073709551616 user_data_64=7 user_data_32=8 "
            "outcome=created");
  CHECK(transfer(id(ta, 5003), {"amount", "outcome"}) == "amount=5000 outcome=exceeds_credits");
  CHECK(transfer(id(ta, 5004), {"flags", "timeout", "state"}) == "flags=[\"pending\"] timeout=3600 state=posted");
  CHECK(transfer(id(ta, 5005), {"pending_id", "amount", "flags", "outcome"}) ==
        "pending_id=" + id(ta, 5004) + " amount=200 flags=[\"post_pending\"] outcome=created");
}

TEST_CASE("a record produced into the wrong partition is answered wrong_partition and changes nothing") {
  Cluster c;
  const std::string acct = id(0xC0FFEE, 1);
  const uint32_t right = tally::partition_of(tally::AccountId(make_u128(0xC0FFEE, 1)), kPartitions).value;
  const std::string wrong = std::to_string((right + 1) % kPartitions);
  const std::string line = R"({"type":"create_account","id":")" + acct + R"(","ledger":1,"code":1})";

  // A malformed line stops the run before anything is produced.
  const Produced bad = produce(c.bootstrap, {line, R"({"type":"create_account","id":7})"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());

  const Produced misrouted = produce(c.bootstrap, {line}, {"--to-partition", wrong});
  REQUIRE_MESSAGE(misrouted.exit_code == 0, misrouted.out);
  const Records r = records_of(c.serve, misrouted.out);
  CHECK(r.placements == std::vector<std::string>{"partition " + wrong + " lines 1"});
  CHECK(outcomes(r) == "1:wrong_partition");
  CHECK(misrouted.out.find("\"offset\": 0,") != std::string::npos);  // the bad run appended nothing
  CHECK(query(c.serve, {"account", acct}).exit_code == 1);          // not found: the id stays free

  const Produced routed = produce(c.bootstrap, {line});
  REQUIRE_MESSAGE(routed.exit_code == 0, routed.out);
  CHECK(outcomes(records_of(c.serve, routed.out)) == "1:created");
  CHECK(account(c.serve, acct).find("outcome=created") != std::string::npos);
}
