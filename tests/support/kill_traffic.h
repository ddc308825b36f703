// Test support: the load the kill -9 tests put on `tally serve`
// (tests/integration/serve_kill_test.cc, tests/soak/kill_loop.cc). Producer
// threads POST batches of 40 random transfers with "wait":true between
// kTrafficMembers accounts of each of kTrafficPartitions partitions (a fifth
// of them to another partition: a saga each) and record what they sent and
// what serve acknowledged, by transfer id, until told to stop or serve
// stops answering. Then resend_all() plays the client that lost its
// answers, and expected_balances() says what the acknowledged books must
// add up to.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "tests/support/http_client.h"

namespace tally::test {

inline constexpr uint32_t kTrafficPartitions = 4;
inline constexpr uint64_t kTrafficMembers = 4;  // accounts per partition

// Member m (1..kTrafficMembers) of partition p.
std::string traffic_account(uint32_t p, uint64_t m);
// Every member's create_account; `limit_first`: member 1 may not overdraw.
std::vector<std::string> traffic_accounts_json(bool limit_first);

struct Sent {
  std::string debit, credit;
  uint64_t amount = 0;
  uint64_t group = 0;  // the debit account's upper 64 bits
};

// Transfer `id`'s id on the wire: in its debit account's group, so it routes
// with it (docs/design.md "One transfer id, one partition").
std::string wire_id(uint64_t id, const Sent& s);

struct Traffic {
  tally::Mutex mu;
  std::map<uint64_t, Sent> sent GUARDED_BY(mu);
  std::map<uint64_t, std::string> acked GUARDED_BY(mu);  // id → outcome
  std::vector<std::string> errors GUARDED_BY(mu);  // why a producer stopped
  uint64_t posted GUARDED_BY(mu) = 0;  // commands POSTed (answered or not)

  // A copy of the above, for the checks once the producers have stopped.
  struct Books {
    std::map<uint64_t, Sent> sent;
    std::map<uint64_t, std::string> acked;
    std::vector<std::string> errors;
    uint64_t posted = 0;
  };
  Books books() EXCLUDES(mu) {
    tally::MutexLock lock(mu);
    return {sent, acked, errors, posted};
  }
};

// Posts until `stop` or until serve stops answering; ids from `first`.
void produce(uint16_t port, uint64_t first, uint32_t seed, std::atomic<bool>& stop, Traffic& traffic);

// Sends every transfer of `sent` again, in batches of 500; returns id → outcome.
std::map<uint64_t, std::string> resend_all(HttpClient& client, const std::map<uint64_t, Sent>& sent);

// The sagas in flight over every partition (/metrics); -1 when unknown.
long long sagas_in_flight(HttpClient& client);

// The balances the stored outcomes add up to: account → {debits, credits}
// posted, from each transfer's stored outcome (GET /v1/transfers/{id}).
// `differ` counts transfers stored with another outcome than acknowledged.
std::map<std::string, std::array<uint64_t, 2>> expected_balances(HttpClient& client, const Traffic::Books& traffic,
                                                                int& differ);

}  // namespace tally::test
