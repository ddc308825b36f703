// The change stream published to Kafka (`tally serve --events-topic`,
// docs/events.md "On Kafka"), against `tally broker`: a consumer of the
// events topic sees every event of the HTTP stream, in order per partition,
// as FlatBuffers (engine/schema/events.fbs). `tally serve` is made to die
// right after an append to the events topic and before it saved its
// progress (crash point events.after_append): after the restart those
// events come again, with the same cursors and the same bytes, and nothing
// is missing or out of order once a consumer dedupes by cursor.
#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <map>

#include "engine/core/partitioner.h"
#include "engine/core/u128.h"
#include "engine/json/command_json.h"
#include "engine/json/text.h"
#include "engine/log/kafka_log.h"
#include "engine/node/event_codec.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/http_client.h"
#include "tests/fixtures/http_json.h"
#include "tests/fixtures/serve.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t kParts = 2;

std::string account_in(uint32_t p, uint64_t* group) {
  for (uint64_t g = 1;; g++) {
    const u128 id = (u128{g} << 64) | 1;
    if (partition_of(AccountId(id), kParts).value == p) {
      *group = g;
      return u128_to_string(id);
    }
  }
}
std::string id_in_group(uint64_t g, uint64_t n) { return u128_to_string((u128{g} << 64) | n); }

// Reads the events topic from the start, partition by partition.
struct Consumer {
  std::unique_ptr<Log> log;
  std::vector<std::unique_ptr<LogReader>> readers;
  std::vector<std::vector<std::vector<uint8_t>>> messages;  // per partition, as read
  size_t duplicates = 0;

  explicit Consumer(const std::string& bootstrap) {
    auto opened = open_kafka_log(KafkaLogOptions{.bootstrap = bootstrap, .topic = "tally.events"});
    REQUIRE(opened.ok());
    log = std::move(*opened);
    REQUIRE(log->partition_count() == kParts);
    for (uint32_t p = 0; p < kParts; p++) {
      auto r = log->read(Partition{p}, Offset{0});
      REQUIRE(r.ok());
      readers.push_back(std::move(*r));
    }
    messages.resize(kParts);
  }
  void poll() {
    for (uint32_t p = 0; p < kParts; p++) {
      auto got = readers[p]->next(1000, 100ms);
      REQUIRE(got.ok());
      for (LogRecord& r : *got) messages[p].push_back(std::move(r.value));
    }
  }
  // Partition p's events deduped by cursor; each repeat byte-identical to
  // the first, and first occurrences in cursor order.
  std::vector<ChangeEvent> deduped(uint32_t p) {
    std::vector<ChangeEvent> out;
    std::map<std::string, std::vector<uint8_t>> seen;
    duplicates = 0;
    for (const auto& m : messages[p]) {
      Result<ChangeEvent> e = decode_event(m);
      REQUIRE(e.ok());
      CHECK(e->position.partition.value == p);
      const std::string c = cursor_to_string(e->position);
      if (auto it = seen.find(c); it != seen.end()) {
        CHECK(it->second == m);
        duplicates++;
        continue;
      }
      if (!out.empty()) CHECK(out.back().position < e->position);
      seen[c] = m;
      out.push_back(*e);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("change stream on Kafka: every event once by cursor, the same bytes again after a crash") {
  Broker broker(kParts);
  TempDir dir;
  const std::string data = dir.sub("data");
  const std::vector<std::string> args = {"--kafka", broker.bootstrap(), "--events-topic", "tally.events"};
  uint64_t g0 = 0, g1 = 0;
  const std::string a = account_in(0, &g0), c = account_in(1, &g1), b = id_in_group(g0, 2);

  {
    // Dies at its second append to the events topic, before saving that progress.
    setenv("TALLY_CRASH_AT", "events.after_append:2", 1);
    Serve serve(data, args);
    unsetenv("TALLY_CRASH_AT");
    HttpClient http(serve.port());
    try {
      http.post("/v1/commands", commands_body({account_json(a, "\"history\""), account_json(b, "\"history\""),
                                               account_json(c, "\"history\"")}, true));
      http.post("/v1/commands", commands_body({transfer_json(id_in_group(g0, 10), a, b, "5"),
                                               transfer_json(id_in_group(g0, 11), a, id_in_group(g0, 99), "1")},
                                              true));
    } catch (const std::exception&) {
      // The crash may come before an answer.
    }
    CHECK(serve.process().wait() == 128 + SIGKILL);
  }
  Serve serve(data, args);
  HttpClient http(serve.port());
  // What the first life appended may have been answered or not: sent again, by id.
  REQUIRE(http.post("/v1/commands", commands_body({account_json(a, "\"history\""), account_json(b, "\"history\""),
                                                   account_json(c, "\"history\"")}, true)).status == 200);
  const std::string expiring = R"({"type":"create_transfer","id":")" + id_in_group(g0, 13) + R"(","debit_account_id":")" +
                               a + R"(","credit_account_id":")" + b +
                               R"(","amount":"3","ledger":1,"code":1,"flags":["pending"],"timeout":1})";
  HttpResult r = http.post("/v1/commands", commands_body({transfer_json(id_in_group(g0, 10), a, b, "5"),
                                                          transfer_json(id_in_group(g0, 11), a, id_in_group(g0, 99), "1"),
                                                          expiring, transfer_json(id_in_group(g0, 14), a, c, "11")},
                                                         true));
  REQUIRE(r.status == 200);

  Consumer consumer(broker.bootstrap());
  // Until the topic carries the whole HTTP stream of both partitions, and
  // that stream holds the expiry and the saga's reply.
  std::vector<boost::json::array> http_events(kParts);
  const bool complete = eventually([&] {
    consumer.poll();
    bool all = true;
    std::string types;
    for (uint32_t p = 0; p < kParts; p++) {
      HttpResult page = http.get("/v1/events?partition=" + std::to_string(p) + "&limit=8189");
      REQUIRE(page.status == 200);
      http_events[p] = page.json().at("events").as_array();
      for (const auto& e : http_events[p]) types += str(e, "type") + "/" + str(e, "result") + " ";
      all = all && consumer.deduped(p).size() == http_events[p].size();
    }
    return all && types.find("expire_pending/expired") != std::string::npos &&
           types.find("saga_reply/saga_completed") != std::string::npos;
  }, {30s, 100ms});
  REQUIRE(complete);

  size_t duplicates = 0;
  for (uint32_t p = 0; p < kParts; p++) {
    CAPTURE(p);
    const std::vector<ChangeEvent> events = consumer.deduped(p);
    duplicates += consumer.duplicates;
    REQUIRE(events.size() == http_events[p].size());
    for (size_t i = 0; i < events.size(); i++) {
      const ChangeEvent& k = events[i];
      const boost::json::value& h = http_events[p][i];
      CHECK(cursor_to_string(k.position) == str(h, "cursor"));
      if (k.quarantined) continue;
      CHECK(std::string(command_type_name(k.command)) == str(h, "type"));
      CHECK(std::string(outcome_name(k.outcome)) == str(h, "result"));
      CHECK(std::to_string(k.timestamp.ns) == str(h, "timestamp"));
      CHECK(json_text::serialize(command_to_json(k.command)) == json_text::serialize(h.at("command")));
      CHECK(k.transfer.has_value() == h.as_object().contains("transfer"));
      if (k.transfer) CHECK(u128_to_string(k.transfer->amount.value()) == str(h.at("transfer"), "amount"));
      const auto* hb = h.as_object().if_contains("balances");
      REQUIRE(k.balances.size() == (hb ? hb->as_array().size() : 0));
      for (size_t j = 0; j < k.balances.size(); j++) {
        CHECK(u128_to_string(k.balances[j].account.value()) == str(hb->as_array()[j], "account_id"));
        CHECK(u128_to_string(k.balances[j].balances.debits_posted) == str(hb->as_array()[j], "debits_posted"));
        CHECK(u128_to_string(k.balances[j].balances.credits_posted) == str(hb->as_array()[j], "credits_posted"));
      }
    }
  }
  // The crash came between an append and its progress: those came twice.
  CHECK(duplicates > 0);
  const HttpResult metrics = http.get("/metrics");
  CHECK(metrics.body.find("tally_events_published_total ") != std::string::npos);
  const HttpResult health = http.get("/health");
  CHECK(health.body.find("\"name\":\"events\"") != std::string::npos);
}
