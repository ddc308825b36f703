// The kill -9 soak (issue 16, "Done when"): ROUNDS times, start `tally
// serve` on one data directory (embedded log, 4 partitions), put the
// kill_traffic load on it (two producers, a fifth of the transfers across
// partitions) for a random 0.2 to 1.2 s, and kill it with SIGKILL. After
// each kill, before the next start, it measures what was in flight: the
// commands the producers had sent without an answer, and the commands in
// the log past each store's applied offset (what the restart replays).
// Then one last serve: every transfer ever sent is sent again, and:
//   lost        acknowledged transfers whose resend does not answer
//               `exists` (created) or the same rejection, or whose stored
//               outcome differs from the acknowledged one;
//   duplicated  accounts whose balances differ from the sum of the created
//               transfers that name them (a command applied twice);
//   log bound   the log's commands, against the commands sent plus the saga
//               steps the created sagas need plus what was in flight at each
//               crash; and the saga steps appended more than once (re-sent
//               after a crash), against what was in flight.
// Prints one line per round and a summary; exit 0 when lost = 0,
// duplicated = 0 and the log is within its bound. Not in `tools/dev test`:
// run it with `tools/dev soak [ROUNDS]` (docs/testing.md).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "engine/core/codec.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/embedded_log.h"
#include "projections/store.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/kill_traffic.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// Commands per kind in the log, and the saga steps by (kind, saga id, partition).
struct LogCensus {
  uint64_t commands = 0, records = 0;
  uint64_t saga_steps = 0;
  std::set<std::tuple<size_t, u128, uint32_t>> distinct_steps;
};

std::unique_ptr<Log> open_log_read_only(const std::string& data) {
  auto log = open_embedded_log({.dir = data + "/log", .read_only = true});
  if (!log.ok()) throw std::runtime_error("opening the log: " + log.status().to_string());
  return std::move(log).value();
}

// Calls fn(partition, commands) for each record of `p` from `from` to the end.
template <class Fn>
void read_records(Log& log, Partition p, Offset from, Fn&& fn) {
  auto end = log.end_offset(p);
  if (!end.ok()) throw std::runtime_error(end.status().to_string());
  if (from >= *end) return;
  auto reader = log.read(p, from);
  if (!reader.ok()) throw std::runtime_error(reader.status().to_string());
  while ((*reader)->position() < *end) {
    auto records = (*reader)->next(256, 5s);
    if (!records.ok() || records->empty()) throw std::runtime_error("reading the log of partition " +
                                                                     std::to_string(p.value));
    for (const LogRecord& r : *records) {
      auto commands = decode_batch(r.value);
      if (!commands.ok()) throw std::runtime_error("a record that does not decode");
      fn(*commands);
    }
  }
}

// Commands in the log past each store's applied offset: what a restart replays.
uint64_t replayed_commands(const std::string& data) {
  auto log = open_log_read_only(data);
  uint64_t n = 0;
  for (uint32_t p = 0; p < log->partition_count(); p++) {
    Offset applied{0};
    auto store = PartitionStore::open({.dir = data + "/partitions/" + std::to_string(p),
                                       .partition = Partition{p},
                                       .partition_count = log->partition_count(),
                                       .create_if_missing = false,
                                       .read_only = true});
    if (store.ok()) {
      if (auto meta = (*store)->meta(); meta.ok()) applied = meta->next_offset;
    }
    read_records(*log, Partition{p}, applied, [&](const std::vector<Command>& c) { n += c.size(); });
  }
  return n;
}

LogCensus census(const std::string& data) {
  auto log = open_log_read_only(data);
  LogCensus c;
  for (uint32_t p = 0; p < log->partition_count(); p++) {
    read_records(*log, Partition{p}, Offset{0}, [&](const std::vector<Command>& commands) {
      c.records++;
      c.commands += commands.size();
      for (const Command& cmd : commands) {
        if (std::holds_alternative<CreateAccount>(cmd) || std::holds_alternative<CreateTransfer>(cmd)) continue;
        c.saga_steps++;
        c.distinct_steps.insert({cmd.index(), command_subject(cmd), p});
      }
    });
  }
  return c;
}

struct Round {
  uint64_t sent = 0, acked = 0, unanswered = 0, replayed = 0;
  double seconds = 0;
};

Round run_round(const std::string& data, uint32_t r, std::mt19937& rng, Traffic& traffic) {
  const auto started = Clock::now();
  Round out;
  uint64_t sent_before, acked_before;
  {
    tally::MutexLock lock(traffic.mu);
    sent_before = traffic.sent.size();
    acked_before = traffic.acked.size();
  }
  {
    Serve serve(data, {"--partitions", std::to_string(kTrafficPartitions), "--log-level", "error"});
    if (r == 0) {
      HttpClient client(serve.port());
      if (client.post("/v1/commands", commands_body(traffic_accounts_json(false), true)).status != 200) {
        throw std::runtime_error("creating the accounts");
      }
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200 + rng() % 1000);
    kill_under_load(serve, traffic, {100'000'000ull * (2 * r + 1), 100'000'000ull * (2 * r + 2)},
                    {2 * r + 1, 2 * r + 2}, [&](size_t) { return std::chrono::steady_clock::now() >= until; });
  }
  {
    tally::MutexLock lock(traffic.mu);
    out.sent = traffic.sent.size() - sent_before;
    out.acked = traffic.acked.size() - acked_before;
  }
  out.unanswered = out.sent - out.acked;
  out.replayed = replayed_commands(data);
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const uint32_t rounds = argc > 1 ? static_cast<uint32_t>(std::stoul(argv[1])) : 100;
  TempDir dir;
  const std::string data = dir.sub("data");
  Traffic traffic;
  std::mt19937 rng(16);
  uint64_t in_flight = 0, unanswered = 0, max_replay = 0;
  const auto started = Clock::now();
  try {
    for (uint32_t r = 0; r < rounds; r++) {
      const Round x = run_round(data, r, rng, traffic);
      in_flight += x.unanswered + x.replayed;
      unanswered += x.unanswered;
      max_replay = std::max(max_replay, x.replayed);
      std::printf("round %u: %llu sent, %llu acknowledged, in flight at the kill: %llu unanswered + %llu to replay; %.1f s\n",
                  r + 1, (unsigned long long)x.sent, (unsigned long long)x.acked, (unsigned long long)x.unanswered,
                  (unsigned long long)x.replayed, x.seconds);
      std::fflush(stdout);
    }
    const Traffic::Books books = traffic.books();  // the producers have stopped
    Serve serve(data, {"--partitions", std::to_string(kTrafficPartitions), "--log-level", "error"});
    HttpClient client(serve.port());
    const auto again = resend_all(client, books.sent);
    uint64_t lost = 0;
    for (const auto& [id, outcome] : books.acked) {
      if (again.at(id) != (outcome == "created" ? "exists" : outcome)) lost++;
    }
    for (int i = 0; i < 3000 && sagas_in_flight(client) != 0; i++) std::this_thread::sleep_for(20ms);
    int differ = 0;
    auto expected = expected_balances(client, books, differ);
    lost += static_cast<uint64_t>(differ);
    uint64_t duplicated = 0;
    for (uint32_t p = 0; p < kTrafficPartitions; p++) {
      for (uint64_t m = 1; m <= kTrafficMembers; m++) {
        const std::string id = traffic_account(p, m);
        const boost::json::value a = client.get("/v1/accounts/" + id).json();
        if (str(a, "debits_posted") != std::to_string(expected[id][0]) ||
            str(a, "credits_posted") != std::to_string(expected[id][1])) {
          duplicated++;
        }
      }
    }
    const uint64_t posted = books.posted + books.sent.size() + kTrafficPartitions * kTrafficMembers;
    if (serve.stop() != 0) throw std::runtime_error("the last serve did not stop cleanly");
    const LogCensus c = census(data);
    const uint64_t resent_steps = c.saga_steps - c.distinct_steps.size();
    const uint64_t bound = posted + c.distinct_steps.size() + in_flight;
    const double secs = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf("soak: %u rounds in %.0f s: %zu transfers sent (%llu commands posted, resends included), %zu acknowledged\n",
                rounds, secs, books.sent.size(), (unsigned long long)posted, books.acked.size());
    std::printf("soak: lost %llu, duplicated %llu\n", (unsigned long long)lost, (unsigned long long)duplicated);
    std::printf("soak: log %llu commands in %llu records; bound %llu = %llu posted + %zu distinct saga steps + %llu in flight at the kills\n",
                (unsigned long long)c.commands, (unsigned long long)c.records, (unsigned long long)bound,
                (unsigned long long)posted, c.distinct_steps.size(), (unsigned long long)in_flight);
    std::printf("soak: saga steps appended more than once: %llu (in flight at the kills: %llu, of which %llu "
                "unanswered client commands); the longest replay after a kill: %llu commands\n",
                (unsigned long long)resent_steps, (unsigned long long)in_flight, (unsigned long long)unanswered,
                (unsigned long long)max_replay);
    const bool ok = lost == 0 && duplicated == 0 && c.commands <= bound && resent_steps <= in_flight;
    std::printf("soak: %s\n", ok ? "passed" : "FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "soak: %s\n", e.what());
    return 1;
  }
}
