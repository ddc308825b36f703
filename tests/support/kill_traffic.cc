#include "tests/support/kill_traffic.h"

#include <boost/json.hpp>
#include <random>
#include <stdexcept>

#include "engine/core/thread_annotations.h"
#include "tests/integration/http_helpers.h"
#include "tests/support/ledger_scenario.h"

namespace tally::test {
namespace json = boost::json;

std::string traffic_account(uint32_t p, uint64_t m) { return account_in(p, m, 21).str(); }

std::vector<std::string> traffic_accounts_json(bool limit_first) {
  std::vector<std::string> out;
  for (uint32_t p = 0; p < kTrafficPartitions; p++) {
    for (uint64_t m = 1; m <= kTrafficMembers; m++) {
      out.push_back(account_json(traffic_account(p, m),
                                 limit_first && m == 1 ? "\"debits_must_not_exceed_credits\"" : ""));
    }
  }
  return out;
}

std::string wire_id(uint64_t id, const Sent& s) { return u128_to_string(make_u128(s.group, id)); }

namespace {
std::string transfer_body(uint64_t id, const Sent& s) {
  return transfer_json(wire_id(id, s), s.debit, s.credit, std::to_string(s.amount));
}
}  // namespace

void produce(uint16_t port, uint64_t first, uint32_t seed, std::atomic<bool>& stop, Traffic& traffic) {
  std::mt19937 rng(seed);
  uint64_t next = first;
  try {
    HttpClient client(port);
    while (!stop) {
      std::vector<std::string> commands;
      std::vector<uint64_t> ids;
      {
        tally::MutexLock lock(traffic.mu);
        for (int i = 0; i < 40; i++) {
          const uint32_t p = rng() % kTrafficPartitions;
          const uint32_t q = rng() % 5 == 0 ? (p + 1 + rng() % (kTrafficPartitions - 1)) % kTrafficPartitions : p;
          const uint64_t m = 1 + rng() % kTrafficMembers;
          const uint64_t n = 1 + (m + rng() % (kTrafficMembers - 1)) % kTrafficMembers;  // another member
          const Sent s{traffic_account(p, m), traffic_account(q, n), 1 + rng() % 100, account_in(p, m, 21).hi()};
          traffic.sent[next] = s;
          commands.push_back(transfer_body(next, s));
          ids.push_back(next++);
        }
        traffic.posted += commands.size();
      }
      const HttpResult r = client.post("/v1/commands", commands_body(commands, true));
      if (r.status != 200) throw std::runtime_error("status " + std::to_string(r.status) + ": " + r.body);
      const json::value answer = r.json();
      const json::array& results = answer.at("results").as_array();
      tally::MutexLock lock(traffic.mu);
      for (size_t i = 0; i < ids.size(); i++) {
        traffic.acked[ids[i]] = std::string(results.at(i).at("outcome").as_string());
      }
    }
  } catch (const std::exception& e) {
    tally::MutexLock lock(traffic.mu);
    traffic.errors.push_back(e.what());
  }
}

std::map<uint64_t, std::string> resend_all(HttpClient& client, const std::map<uint64_t, Sent>& sent) {
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
    if (r.status != 200) throw std::runtime_error("resending: status " + std::to_string(r.status) + ": " + r.body);
    const json::value answer = r.json();
    const json::array& results = answer.at("results").as_array();
    for (size_t i = 0; i < ids.size(); i++) out[ids[i]] = std::string(results.at(i).at("outcome").as_string());
  }
  return out;
}

long long sagas_in_flight(HttpClient& client) {
  const std::string text = client.get("/metrics").body;
  long long total = 0;
  for (uint32_t p = 0; p < kTrafficPartitions; p++) {
    const long long v = metric(text, "tally_sagas_in_flight{partition=\"" + std::to_string(p) + "\"}");
    if (v < 0) return -1;
    total += v;
  }
  return total;
}

std::map<std::string, std::array<uint64_t, 2>> expected_balances(HttpClient& client, const Traffic::Books& traffic,
                                                                int& differ) {
  std::map<std::string, std::array<uint64_t, 2>> expected;
  differ = 0;
  for (const auto& [id, s] : traffic.sent) {
    const HttpResult t = client.get("/v1/transfers/" + wire_id(id, s));
    if (t.status != 200) throw std::runtime_error("transfer " + std::to_string(id) + ": " + t.body);
    const std::string stored = str(t.json(), "outcome");
    const auto acked = traffic.acked.find(id);
    if (acked != traffic.acked.end() && acked->second != stored) differ++;
    if (stored != "created") continue;
    expected[s.debit][0] += s.amount;
    expected[s.credit][1] += s.amount;
  }
  return expected;
}

}  // namespace tally::test
