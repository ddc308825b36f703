// The change stream (projections/change_events.h, engine/node/event_feed.h)
// over a Node on the embedded log: every applied command yields one event,
// in log order, with the outcome the store holds; created transfers and the
// balances after them (history accounts) ride along; pages resume exactly
// at their cursor; a saga shows on both partitions and an expiry on its
// own; the same position reads the same bytes every time.
#include <doctest/doctest.h>

#include <map>

#include "engine/core/partitioner.h"
#include "engine/json/event_json.h"
#include "engine/json/text.h"
#include "engine/node/event_codec.h"
#include "engine/node/event_feed.h"
#include "engine/node/node.h"
#include "recovery/saga_status.h"
#include "tests/fixtures/commands.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/node_fixture.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kPartitions = 2;

// An account id in group `g` (the upper half routes it).
constexpr u128 id_in(uint64_t g, uint64_t n) { return (u128{g} << 64) | n; }

// A group whose accounts land in partition `p`.
uint64_t group_in(uint32_t p) {
  for (uint64_t g = 1;; g++) {
    if (partition_of(AccountId(id_in(g, 1)), kPartitions).value == p) return g;
  }
}

EventPage read_all(Node& node, Partition p, size_t limit = 100000) {
  Result<EventPage> page = read_events(node.log(), node.store(p), node.pipeline(p).applied(),
                                       EventCursor{p, Offset{0}, 0}, limit);
  REQUIRE(page.ok());
  return *page;
}

std::string text_of(const std::vector<ChangeEvent>& events) {
  std::string out;
  for (const ChangeEvent& e : events) out += json_text::serialize(event_to_json(e)) + "\n";
  return out;
}

// Every page of `limit` events, each resuming at the last one's cursor.
std::vector<ChangeEvent> paged(Node& node, Partition p, size_t limit) {
  std::vector<ChangeEvent> out;
  EventCursor at{p, Offset{0}, 0};
  for (;;) {
    Result<EventPage> page = read_events(node.log(), node.store(p), node.pipeline(p).applied(), at, limit);
    REQUIRE(page.ok());
    REQUIRE(page->events.size() <= limit);
    if (page->events.empty()) {
      CHECK(page->next == at);
      return out;
    }
    CHECK(page->events.front().position == at);
    at = page->next;
    out.insert(out.end(), page->events.begin(), page->events.end());
  }
}

const ChangeEvent* find(const std::vector<ChangeEvent>& events, std::string_view type, u128 subject) {
  for (const ChangeEvent& e : events) {
    if (!e.quarantined && command_type_name(e.command) == type && command_subject(e.command) == subject) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("events: one per applied command, in log order, with the store's outcomes, balances and transfers") {
  TempDir dir;
  auto node = start_node(open_test_log(dir.sub("log"), kPartitions), {.data_dir = dir.sub("data")});
  const uint64_t g0 = group_in(0), g1 = group_in(1);
  const u128 a = id_in(g0, 1), b = id_in(g0, 2), plain = id_in(g0, 3), c = id_in(g1, 1);
  const uint16_t h = account_flags::history;
  append_and_wait(*node, {account(a, h), account(b, h), account(plain), account(c, h)});

  CreateTransfer held = transfer(3, a, b, 30);
  held.flags = transfer_flags::pending;
  CreateTransfer post = transfer(4, a, b, 30);
  post.flags = transfer_flags::post_pending;
  post.pending_id = held.id;
  CreateTransfer expiring = transfer(5, a, b, 9);
  expiring.flags = transfer_flags::pending;
  expiring.timeout_seconds = 1;
  const std::vector<Outcome> got = append_and_wait(
      *node, {transfer(1, a, b, 5), transfer(2, a, id_in(g0, 99), 1), held, post,
              transfer(6, a, plain, 2), expiring});
  CHECK(got[1] == Outcome::credit_account_not_found);
  // A saga (c is in the other partition) and the expiry, both driven by the node.
  append_and_wait(*node, {transfer(7, a, c, 11)});
  REQUIRE(eventually([&] {
    auto s = node->transfer(expiring.id);
    const PartitionStore* stores[] = {&node->store(Partition{0}), &node->store(Partition{1})};
    auto saga = find_saga(stores, transfer(7, a, c, 11).id);
    return s.ok() && *s && (*s)->state == PendingState::expired && saga.ok() && *saga &&
           (*saga)->saga.state == SagaState::completed;
  }, {15s, 20ms}));

  const Partition p0{0}, p1{1};
  const std::vector<ChangeEvent> e0 = read_all(*node, p0).events;

  SUBCASE("each event is its position's outcome, positions contiguous") {
    for (const Partition p : {p0, p1}) {
      const EventPage all = read_all(*node, p);
      EventCursor at{p, Offset{0}, 0};
      size_t outcomes = 0;
      for (uint64_t o = 0; o < node->pipeline(p).applied().value; o++) {
        auto stored = node->store(p).outcomes(Offset{o});
        REQUIRE(stored.ok());
        REQUIRE(stored->has_value());
        outcomes += (*stored)->outcomes.size();
      }
      REQUIRE(all.events.size() == outcomes);
      for (const ChangeEvent& e : all.events) {
        REQUIRE(e.position == at);
        auto stored = node->store(p).outcomes(e.position.offset);
        REQUIRE(stored.ok());
        CHECK(e.outcome == (*stored)->outcomes[e.position.index]);
        CHECK(e.timestamp.ns == (*stored)->first_timestamp.ns + e.position.index);
        at = cursor_after(e, (*stored)->outcomes.size());
      }
      CHECK(all.next == at);
      CHECK(all.next.offset == node->pipeline(p).applied());
    }
  }

  SUBCASE("a transfer's event carries it and the history accounts' balances after it") {
    const ChangeEvent* first = find(e0, "create_transfer", transfer(1, a, b, 5).id.value());
    REQUIRE(first != nullptr);
    CHECK(first->outcome == Outcome::created);
    REQUIRE(first->transfer.has_value());
    CHECK(first->transfer->amount == Amount(5));
    REQUIRE(first->balances.size() == 2);
    CHECK(first->balances[0].account == AccountId(a));
    CHECK(first->balances[0].balances.debits_posted == u128{5});
    CHECK(first->balances[1].account == AccountId(b));
    CHECK(first->balances[1].balances.credits_posted == u128{5});
    // The post moved the held 30: its event shows the balances then, not now.
    const ChangeEvent* posted = find(e0, "create_transfer", post.id.value());
    REQUIRE(posted != nullptr);
    REQUIRE(posted->balances.size() == 2);
    CHECK(posted->balances[0].balances.debits_posted == u128{35});
    CHECK(posted->balances[0].balances.debits_pending == u128{0});
    // The pending transfer is shown as created (pending), though posted since.
    const ChangeEvent* hold = find(e0, "create_transfer", held.id.value());
    REQUIRE(hold != nullptr);
    REQUIRE(hold->transfer.has_value());
    CHECK(hold->transfer->state == PendingState::pending);
    // An account without the history flag has no balances in events.
    const ChangeEvent* to_plain = find(e0, "create_transfer", transfer(6, a, plain, 2).id.value());
    REQUIRE(to_plain != nullptr);
    REQUIRE(to_plain->balances.size() == 1);
    CHECK(to_plain->balances[0].account == AccountId(a));
  }

  SUBCASE("a rejection carries its command and result, and no transfer or balances") {
    const ChangeEvent* r = find(e0, "create_transfer", transfer(2, a, id_in(g0, 99), 1).id.value());
    REQUIRE(r != nullptr);
    CHECK(r->outcome == Outcome::credit_account_not_found);
    CHECK_FALSE(r->transfer.has_value());
    CHECK(r->balances.empty());
  }

  SUBCASE("the expiry and the saga's legs are events of the partitions that applied them") {
    const ChangeEvent* x = find(e0, "expire_pending", expiring.id.value());
    REQUIRE(x != nullptr);
    CHECK(x->outcome == Outcome::expired);
    REQUIRE_FALSE(x->balances.empty());
    CHECK(x->balances[0].balances.debits_pending == u128{0});
    const std::vector<ChangeEvent> e1 = read_all(*node, p1).events;
    const TransferId saga = transfer(7, a, c, 11).id;
    const ChangeEvent* credit = find(e1, "saga_credit", saga.value());
    REQUIRE(credit != nullptr);
    CHECK(credit->outcome == Outcome::created);
    REQUIRE(credit->balances.size() == 1);
    CHECK(credit->balances[0].account == AccountId(c));
    CHECK(credit->balances[0].balances.credits_posted == u128{11});
    // The reply posted the reservation: the debit account's balances then.
    const ChangeEvent* reply = find(e0, "saga_reply", saga.value());
    REQUIRE(reply != nullptr);
    CHECK(reply->outcome == Outcome::saga_completed);
    REQUIRE(reply->balances.size() == 1);
    CHECK(reply->balances[0].account == AccountId(a));
    CHECK(reply->balances[0].balances.debits_posted == u128{5 + 30 + 2 + 11});
  }

  SUBCASE("pages of any size resume exactly; the same positions read the same bytes") {
    const std::string whole = text_of(e0);
    CHECK(text_of(paged(*node, p0, 1)) == whole);
    CHECK(text_of(paged(*node, p0, 2)) == whole);
    CHECK(text_of(paged(*node, p0, 5)) == whole);
    CHECK(text_of(read_all(*node, p0).events) == whole);
  }

  SUBCASE("the Kafka message form (events.fbs) carries every event back as it was") {
    for (const Partition p : {p0, p1}) {
      for (const ChangeEvent& e : read_all(*node, p).events) {
        const std::vector<uint8_t> bytes = encode_event(e);
        Result<ChangeEvent> back = decode_event(bytes);
        REQUIRE(back.ok());
        CHECK(back->position == e.position);
        CHECK(back->timestamp == e.timestamp);
        CHECK(back->command == e.command);
        CHECK(back->outcome == e.outcome);
        CHECK(back->balances == e.balances);
        REQUIRE(back->transfer.has_value() == e.transfer.has_value());
        if (e.transfer) {
          CHECK(static_cast<const TransferFields&>(*back->transfer) == static_cast<const TransferFields&>(*e.transfer));
          CHECK(back->transfer->state == e.transfer->state);
        }
        CHECK(event_key(e) == u128_to_string(routing_account(e.command).value()));
        std::vector<uint8_t> damaged = bytes;
        damaged[damaged.size() / 2] ^= 0xFF;
        damaged.resize(damaged.size() - 3);
        CHECK_FALSE(decode_event(damaged).ok());
      }
    }
    CHECK_FALSE(decode_event(std::vector<uint8_t>(16, 0)).ok());
  }

  SUBCASE("a cursor past its record's commands is refused") {
    auto page = read_events(node->log(), node->store(p0), node->pipeline(p0).applied(),
                            EventCursor{p0, Offset{0}, 4}, 10);
    REQUIRE_FALSE(page.ok());
    CHECK(page.status().code() == StatusCode::invalid_argument);
    CHECK(page.status().message().find("past the 3 commands") != std::string::npos);
  }
}

TEST_CASE("events: cursors are PARTITION-OFFSET-INDEX, and bad ones name the field") {
  auto c = parse_cursor("1-17-3", "from", 2);
  REQUIRE(c.ok());
  CHECK(*c == EventCursor{Partition{1}, Offset{17}, 3});
  CHECK(cursor_to_string(*c) == "1-17-3");
  for (const char* bad : {"", "1-17", "1-17-3-4", "a-1-1", "01-1-1", "1--1", "-1-1-1", "1-1-99999999999"}) {
    auto r = parse_cursor(bad, "query parameter \"from\"", 2);
    CHECK_FALSE(r.ok());
    CHECK(r.status().message().find("query parameter \"from\"") != std::string::npos);
  }
  auto out = parse_cursor("2-0-0", "from", 2);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message().find("outside 0..1") != std::string::npos);
}
