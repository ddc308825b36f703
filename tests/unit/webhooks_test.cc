// The pure parts of webhooks (engine/http/webhooks.h, webhook_registry.h):
// which change event is which webhook event, the signature, the URL form,
// the retry schedule, and the endpoints file.
#include <doctest/doctest.h>

#include <fstream>

#include "engine/http/hmac.h"
#include "engine/http/webhook_registry.h"
#include "engine/http/webhooks.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::http;
using namespace std::chrono_literals;

namespace {

ChangeEvent event(Command c, Outcome o) {
  ChangeEvent e;
  e.command = std::move(c);
  e.outcome = o;
  return e;
}
CreateTransfer transfer(uint16_t flags) {
  CreateTransfer t;
  t.id = TransferId(1);
  t.flags = flags;
  return t;
}

}  // namespace

TEST_CASE("webhook events: what each change event is called, and what is no event") {
  CHECK(webhook_event(event(transfer(0), Outcome::created)) == "transfer.completed");
  CHECK(webhook_event(event(transfer(transfer_flags::post_pending), Outcome::created)) == "transfer.completed");
  CHECK(webhook_event(event(transfer(transfer_flags::pending), Outcome::created)) == "transfer.pending");
  CHECK(webhook_event(event(transfer(transfer_flags::void_pending), Outcome::created)) == "transfer.voided");
  CHECK(webhook_event(event(transfer(0), Outcome::exceeds_credits)) == "transfer.rejected");
  CHECK_FALSE(webhook_event(event(transfer(0), Outcome::exists)).has_value());
  ChangeEvent saga = event(transfer(0), Outcome::created);
  saga.transfer = Transfer{};
  saga.transfer->kind = TransferKind::saga_source;
  CHECK(webhook_event(saga) == "transfer.created");
  CHECK(webhook_event(event(SagaReply{}, Outcome::saga_completed)) == "transfer.completed");
  CHECK(webhook_event(event(SagaReply{}, Outcome::saga_compensated)) == "saga.compensated");
  CHECK_FALSE(webhook_event(event(SagaCredit{}, Outcome::created)).has_value());
  CHECK(webhook_event(event(ExpirePending{}, Outcome::expired)) == "pending.expired");
  CHECK_FALSE(webhook_event(event(ExpirePending{}, Outcome::not_yet_due)).has_value());
  CHECK(webhook_event(event(CreateAccount{}, Outcome::created)) == "account.created");
  ChangeEvent q;
  q.quarantined = "bad";
  CHECK_FALSE(webhook_event(q).has_value());
}

TEST_CASE("webhook signatures are HMAC-SHA-256 of timestamp.body under the secret") {
  // RFC 4231, test case 2.
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(webhook_signature("s3cret", "1700000000", "{}") == "v1=" + hmac_sha256_hex("s3cret", "1700000000.{}"));
  CHECK(webhook_signature("s3cret", "1700000000", "{}") != webhook_signature("s3cret", "1700000001", "{}"));
}

TEST_CASE("webhook URLs and event lists: errors name the field") {
  auto u = parse_webhook_url("http://127.0.0.1:9000/hooks/a?b=1", "url");
  REQUIRE(u.ok());
  CHECK(u->host_port == "127.0.0.1:9000");
  CHECK(u->target == "/hooks/a?b=1");
  CHECK(parse_webhook_url("http://127.0.0.1:9000", "url")->target == "/");
  CHECK(parse_webhook_url("https://a:1/", "url").status().message().find("https is not supported") != std::string::npos);
  CHECK(parse_webhook_url("ftp://a:1/", "url").status().message().find("url must be http://") != std::string::npos);
  CHECK_FALSE(parse_webhook_url("http://nohostport/", "url").ok());
  const std::vector<std::string> ok{"transfer.completed", "pending.expired"};
  CHECK(check_event_names(ok, "events").ok());
  const std::vector<std::string> twice{"transfer.completed", "transfer.completed"};
  CHECK(check_event_names(twice, "events").message().find("given twice") != std::string::npos);
  CHECK(check_event_names({}, "events").message().find("at least one") != std::string::npos);
}

TEST_CASE("webhook retries double from the first wait to the ceiling, jittered to half") {
  WebhookPolicy p;
  p.first_retry = 100ms;
  p.max_retry = 1000ms;
  CHECK(retry_delay(1, 1.0, p) == 100ms);
  CHECK(retry_delay(2, 1.0, p) == 200ms);
  CHECK(retry_delay(4, 1.0, p) == 800ms);
  CHECK(retry_delay(5, 1.0, p) == 1000ms);
  CHECK(retry_delay(500, 1.0, p) == 1000ms);
  CHECK(retry_delay(5, 0.0, p) == 500ms);
  for (double j : {0.0, 0.3, 0.99}) CHECK(retry_delay(3, j, p) >= 200ms);
}

TEST_CASE("the endpoints file: saved and loaded whole, damage named") {
  test::TempDir dir;
  const std::string path = dir.sub("webhooks.json");
  auto none = load_webhooks(path, 2);
  REQUIRE(none.ok());
  CHECK(none->empty());
  WebhookEndpoint e;
  e.id = "wh_0123456789ab";
  e.url = "http://127.0.0.1:9/x";
  e.events = {"transfer.completed"};
  e.secret = "0123456789abcdef";
  e.cursors = {EventCursor{Partition{0}, Offset{5}, 2}, EventCursor{Partition{1}, Offset{0}, 0}};
  e.delivered = 7;
  e.failing = true;
  e.last_error = "answered HTTP 500";
  REQUIRE(save_webhooks(path, {e}).ok());
  auto back = load_webhooks(path, 2);
  REQUIRE(back.ok());
  REQUIRE(back->size() == 1);
  CHECK((*back)[0].cursors == e.cursors);
  CHECK((*back)[0].secret == e.secret);
  CHECK((*back)[0].failing);
  CHECK((*back)[0].delivered == 7);
  CHECK(load_webhooks(path, 3).status().code() == StatusCode::failed_precondition);
  std::ofstream(path) << "{\"endpoints\": [{\"id\": 1}]}";
  auto damaged = load_webhooks(path, 2);
  REQUIRE_FALSE(damaged.ok());
  CHECK(damaged.status().message().find(path) != std::string::npos);
}
