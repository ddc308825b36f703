// The outbox relay over real stores and a real embedded log (behind a
// FaultyLog and the circuit breaker), with the clock in the test's hands.
// Entries are written into the outbox ('Q') directly, as the pipeline would.
#include <doctest/doctest.h>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "recovery/breaker_log.h"
#include "recovery/relay.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/faulty_log.h"
#include "tests/fixtures/log_contents.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 4;
constexpr uint64_t kMs = 1'000'000;

// Account i lives in some partition; spread over all of them.
u128 account_id(uint64_t i) { return (u128{i + 1} << 64) | 1; }

struct Fixture {
  explicit Fixture(RelayOptions options = {}) : faults(std::make_shared<Faults>()) {
    for (uint32_t p = 0; p < kPartitions; p++) {
      auto s = PartitionStore::open({.dir = dir.sub("p" + std::to_string(p)), .partition = Partition{p},
                                     .partition_count = kPartitions});
      REQUIRE(s.ok());
      stores.push_back(std::move(s).value());
    }
    auto l = open_embedded_log({.dir = dir.sub("log"), .partitions = kPartitions, .sync = false});
    REQUIRE(l.ok());
    log = std::make_unique<BreakerLog>(std::make_unique<FaultyLog>(std::move(l).value(), faults),
                                       BreakerLogOptions{});
    make_relay(options);
  }
  void make_relay(RelayOptions options) {
    relay.reset();
    std::vector<PartitionStore*> s;
    for (auto& st : stores) s.push_back(st.get());
    relay = std::make_unique<OutboxRelay>(RelayDeps{s, log.get(), [this] { return now; }}, options);
  }

  // Outbox entries seq [first, last) of partition `p`: create account i.
  void write_entries(uint32_t p, uint64_t first, uint64_t last) {
    StoreBatch b;
    for (uint64_t i = first; i < last; i++) {
      const Command c = account(account_id(i));
      b.put(keys::outbox(i), encode(OutboxEntry{i, partition_of(AccountId(account_id(i)), kPartitions), c}));
    }
    REQUIRE(stores[p]->commit(b).ok());
  }
  // The same entries as one key, as a pipeline commit stages them.
  void write_entries_as_one_key(uint32_t p, uint64_t first, uint64_t last) {
    std::vector<OutboxEntry> entries;
    for (uint64_t i = first; i < last; i++) {
      entries.push_back({i, partition_of(AccountId(account_id(i)), kPartitions), account(account_id(i))});
    }
    std::string value;
    encode_outbox_entries_to(value, entries);
    StoreBatch b;
    b.put(keys::outbox(last - 1), value);
    REQUIRE(stores[p]->commit(b).ok());
  }
  // Entries not yet delivered: from the relay's progress on.
  size_t outbox_size(uint32_t p) {
    auto from = relay->progress(Partition{p});
    REQUIRE(from.ok());
    auto n = stores[p]->scan(keys::outbox(*from), "R", false, 0, [](auto, auto) { return true; });
    REQUIRE(n.ok());
    return *n;
  }
  // Every outbox key still stored, delivered or not.
  size_t outbox_keys(uint32_t p) {
    auto n = stores[p]->scan("Q", "R", false, 0, [](auto, auto) { return true; });
    REQUIRE(n.ok());
    return *n;
  }
  RelayTickReport tick(uint32_t p) {
    auto r = relay->tick(Partition{p});
    REQUIRE(r.ok());
    return *r;
  }
  // "account-index@partition" for every command in the log, partition by partition.
  std::string log_contents() {
    std::string out;
    for (uint32_t p = 0; p < kPartitions; p++) {
      for (const Command& c : log_commands(*log, Partition{p})) {
        const uint64_t i = u128_hi(std::get<CreateAccount>(c).id.value()) - 1;
        out += (out.empty() ? "" : " ") + std::to_string(i) + "@" + std::to_string(p);
      }
    }
    return out;
  }
  // What log_contents() should be for entries [0, n) each sent `times` times.
  static std::string expected(uint64_t n, int times = 1) {
    std::string out;
    for (uint32_t p = 0; p < kPartitions; p++) {
      for (int t = 0; t < times; t++) {
        for (uint64_t i = 0; i < n; i++) {
          if (partition_of(AccountId(account_id(i)), kPartitions).value != p) continue;
          out += (out.empty() ? "" : " ") + std::to_string(i) + "@" + std::to_string(p);
        }
      }
    }
    return out;
  }

  TempDir dir;
  std::shared_ptr<Faults> faults;
  std::vector<std::unique_ptr<PartitionStore>> stores;
  std::unique_ptr<BreakerLog> log;
  Timestamp now{1'700'000'000'000'000'000ull};
  std::unique_ptr<OutboxRelay> relay;
};

}  // namespace

TEST_CASE("delivered outbox entries are not deleted one by one: the next flush drops them") {
  Fixture f;
  f.write_entries(1, 0, 20);
  CHECK(f.tick(1).relayed == 20);
  f.write_entries(1, 20, 25);  // not yet delivered
  const uint64_t keys_before = f.stores[1]->keys_written();
  CHECK(f.outbox_size(1) == 5);
  CHECK(f.outbox_keys(1) == 25);  // delivered ones still in the memtable
  REQUIRE(f.stores[1]->flush().ok());
  CHECK(f.outbox_keys(1) == 5);   // the flush kept only what is still to send
  CHECK(f.stores[1]->keys_written() == keys_before);
  f.relay->wake(Partition{1});
  CHECK(f.tick(1).relayed == 5);
  CHECK(f.log_contents() == Fixture::expected(25));
}

TEST_CASE("outbox entries go to their target partitions once, in order, and leave the outbox") {
  Fixture f;
  f.write_entries(1, 0, 20);
  RelayTickReport r = f.tick(1);
  CHECK(r.read == 20);
  CHECK(r.relayed == 20);
  CHECK(f.log_contents() == Fixture::expected(20));
  CHECK(f.outbox_size(1) == 0);
  auto progress = f.stores[1]->get(keys::kRelay);
  REQUIRE(progress.ok());
  REQUIRE(progress->has_value());
  CHECK(decode_relay_progress(**progress).value() == 20);
  CHECK(f.relay->stats().relayed == 20);

  // Nothing new: nothing read, nothing appended.
  r = f.tick(1);
  CHECK(r.read == 0);
  CHECK(f.log_contents() == Fixture::expected(20));

  // More entries, announced by the pipeline's on_effects.
  f.write_entries(1, 20, 25);
  f.relay->wake(Partition{1});
  CHECK(f.tick(1).relayed == 5);
  CHECK(f.log_contents() == Fixture::expected(25));

  // A restarted relay resumes from its stored progress.
  f.make_relay({});
  CHECK(f.tick(1).read == 0);
  CHECK(f.relay->next_seq(Partition{1}) == 25);
}

TEST_CASE("one round of the relay's thread appends every partition's entries in one call, a record per target") {
  Fixture f;
  for (uint32_t p = 0; p < kPartitions; p++) {
    f.write_entries(p, 10 * p, 10 * p + 10);  // seq 10p.. in partition p
    f.relay->wake(Partition{p});
  }
  f.relay->start();
  REQUIRE(eventually([&] { return f.relay->stats().relayed == 10 * kPartitions; }));
  f.relay->stop();
  CHECK(f.relay->stats().appends == 1);
  CHECK(f.log_contents() == Fixture::expected(10 * kPartitions));  // each source's in seq order
  for (uint32_t t = 0; t < kPartitions; t++) {
    CHECK(log_records(*f.log, Partition{t}).size() == 1);  // entries of all four sources in one record
  }
  for (uint32_t p = 0; p < kPartitions; p++) {
    CHECK(f.outbox_size(p) == 0);
    CHECK(f.relay->next_seq(Partition{p}) == 10 * p + 10);
  }
}

TEST_CASE("a failing log: the relay retries with backoff, reports the entries stuck, then delivers them once") {
  RelayOptions o;
  o.backoff = {.initial = 100ms, .max = 1000ms, .multiplier = 2.0, .jitter = 0.0, .max_attempts = 3};
  Fixture f(o);
  f.write_entries(2, 0, 6);
  f.faults->fail_appends(Status::Unavailable("broker down (injected)"));
  CHECK(f.tick(2).failed);
  f.now.ns += 99 * kMs;
  CHECK_FALSE(f.tick(2).failed);  // waiting out the backoff: no attempt
  CHECK(f.faults->appends_tried == 1);
  f.now.ns += 1 * kMs;
  CHECK(f.tick(2).failed);  // attempt 2
  CHECK(f.relay->stuck(100).empty());
  f.now.ns += 200 * kMs;
  CHECK(f.tick(2).failed);  // attempt 3: stuck

  const auto stuck = f.relay->stuck(100);
  REQUIRE(stuck.size() == 6);
  CHECK(stuck[0].kind == "outbox");
  CHECK(stuck[0].partition == Partition{2});
  CHECK(stuck[0].seq == 0u);
  CHECK(stuck[0].target == partition_of(AccountId(account_id(0)), kPartitions));
  CHECK(stuck[0].id == account_id(0));
  CHECK(stuck[0].attempts == 3);
  CHECK(stuck[0].last_error == "unavailable: broker down (injected)");
  CHECK(f.relay->stats().stuck == 6);
  CHECK(f.outbox_size(2) == 6);  // kept

  // Stuck entries are retried at the maximum interval (1 s).
  f.faults->heal();
  f.now.ns += 999 * kMs;
  CHECK(f.tick(2).relayed == 0);
  f.now.ns += 1 * kMs;
  CHECK(f.tick(2).relayed == 6);
  CHECK(f.relay->stuck(100).empty());
  CHECK(f.relay->stats().stuck == 0);
  CHECK(f.log_contents() == Fixture::expected(6));  // once each
  CHECK(f.outbox_size(2) == 0);
}

TEST_CASE("five failed relay appends open the breaker; then the relay fails fast without reaching the log") {
  RelayOptions o;
  o.backoff = {.initial = 10ms, .max = 10ms, .multiplier = 2.0, .jitter = 0.0, .max_attempts = 8};
  Fixture f(o);
  f.write_entries(0, 0, 3);
  f.faults->fail_appends(Status::Unavailable("injected"));
  for (int i = 0; i < 7; i++) {
    CHECK(f.tick(0).failed);
    f.now.ns += 10 * kMs;
  }
  CHECK(f.faults->appends_tried == 5);
  CHECK(f.log->snapshot().state == BreakerState::open);
  CHECK(f.relay->stats().error.message().find("circuit breaker open") != std::string::npos);
}

TEST_CASE("a crash between the append and the delete sends the entries again (at least once)") {
  Fixture f;
  f.write_entries(3, 0, 4);
  CHECK(f.tick(3).relayed == 4);
  // The removal and the progress were lost with the memtable (no WAL):
  // the store is back to what it held before the relay's write.
  f.write_entries(3, 0, 4);
  StoreBatch b;
  b.remove(keys::kRelay);
  REQUIRE(f.stores[3]->commit(b).ok());
  f.make_relay({});
  CHECK(f.tick(3).relayed == 4);
  CHECK(f.log_contents() == Fixture::expected(4, 2));
}

TEST_CASE("relay progress has a version byte and a fixed size") {
  CHECK(decode_relay_progress(encode_relay_progress(123456789)).value() == 123456789);
  CHECK(decode_relay_progress("").status().code() == StatusCode::corruption);
  std::string v = encode_relay_progress(1);
  v[0] = 2;
  CHECK(decode_relay_progress(v).status().code() == StatusCode::corruption);
}

TEST_CASE("a key holding a commit's entries is relayed in parts, each entry once, and dropped when all are delivered") {
  Fixture f(RelayOptions{.max_entries_per_tick = 4});
  f.write_entries_as_one_key(2, 0, 10);
  CHECK(f.tick(2).relayed == 4);
  CHECK(f.relay->progress(Partition{2}).value() == 4);
  CHECK(f.tick(2).relayed == 4);  // from the middle of the key: 0 to 3 are not sent again
  CHECK(f.tick(2).relayed == 2);
  CHECK(f.tick(2).relayed == 0);
  CHECK(f.log_contents() == Fixture::expected(10));

  // A rebuilt copy: a key with entries on both sides of the progress stays;
  // once all of its entries are below, it goes, counted by its entries.
  f.write_entries_as_one_key(3, 0, 6);
  auto kept = drop_delivered(*f.stores[3], 0, 3);
  REQUIRE(kept.ok());
  CHECK(*kept == 0);
  CHECK(f.outbox_keys(3) == 1);
  auto dropped = drop_delivered(*f.stores[3], 0, 6);
  REQUIRE(dropped.ok());
  CHECK(*dropped == 6);
  CHECK(f.outbox_keys(3) == 0);
}
