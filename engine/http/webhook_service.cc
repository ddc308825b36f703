#include "engine/http/webhook_service.h"

#include <openssl/rand.h>

#include "engine/core/logging.h"
#include "engine/http/hmac.h"
#include "engine/node/event_feed.h"

namespace tally::http {
namespace {

constexpr size_t kEventsPerPage = 100;

Result<std::string> new_id() {
  unsigned char b[6];
  if (RAND_bytes(b, sizeof b) != 1) return Status::IoError("OpenSSL's RAND_bytes failed to give random bytes");
  return "wh_" + to_hex(b, sizeof b);
}

Status check_request(const WebhookRequest& r) {
  TALLY_RETURN_IF_ERROR(parse_webhook_url(r.url, "url").status());
  TALLY_RETURN_IF_ERROR(check_event_names(r.events, "events"));
  if (r.secret.size() < kMinWebhookSecret || r.secret.size() > kMaxWebhookSecret) {
    return Status::InvalidArgument("secret has " + std::to_string(r.secret.size()) + " characters; it must have " +
                                   std::to_string(kMinWebhookSecret) + ".." + std::to_string(kMaxWebhookSecret));
  }
  return Status::Ok();
}

std::string unix_seconds_now() {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace

Result<std::unique_ptr<WebhookService>> WebhookService::open(Node& node, std::string path, WebhookPolicy policy) {
  TALLY_ASSIGN_OR_RETURN(std::vector<WebhookEndpoint> endpoints, load_webhooks(path, node.partition_count()));
  return std::unique_ptr<WebhookService>(new WebhookService(node, std::move(path), policy, std::move(endpoints)));
}

WebhookService::WebhookService(Node& node, std::string path, WebhookPolicy policy,
                               std::vector<WebhookEndpoint> endpoints)
    : node_(node), path_(std::move(path)), policy_(policy), endpoints_(std::move(endpoints)) {}

WebhookService::~WebhookService() { stop(); }

void WebhookService::start() {
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void WebhookService::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<WebhookEndpoint> WebhookService::add(const WebhookRequest& r) {
  TALLY_RETURN_IF_ERROR(check_request(r));
  WebhookEndpoint e;
  TALLY_ASSIGN_OR_RETURN(e.id, new_id());
  e.url = r.url;
  e.events = r.events;
  e.secret = r.secret;
  for (uint32_t p = 0; p < node_.partition_count(); p++) {
    const Offset start = r.from_start ? Offset{0} : node_.pipeline(Partition{p}).applied();
    e.cursors.push_back(EventCursor{Partition{p}, start, 0});
  }
  MutexLock lock(mu_);
  if (endpoints_.size() >= kMaxWebhooks) {
    return Status::ResourceExhausted("there are " + std::to_string(endpoints_.size()) + " webhooks, the limit");
  }
  endpoints_.push_back(e);
  if (Status s = save_webhooks(path_, endpoints_); !s.ok()) {
    endpoints_.pop_back();
    return s;
  }
  logging::info("webhooks", "added {} for {}", e.id, e.url);
  wake_.notify_all();
  e.secret.clear();
  return e;
}

Status WebhookService::remove(const std::string& id) {
  MutexLock lock(mu_);
  const auto it = std::find_if(endpoints_.begin(), endpoints_.end(), [&](const auto& e) { return e.id == id; });
  if (it == endpoints_.end()) return Status::NotFound("no webhook " + id.substr(0, 64));
  const WebhookEndpoint removed = *it;
  endpoints_.erase(it);
  if (Status s = save_webhooks(path_, endpoints_); !s.ok()) {
    endpoints_.push_back(removed);
    return s;
  }
  logging::info("webhooks", "removed {}", id);
  return Status::Ok();
}

std::vector<WebhookEndpoint> WebhookService::list() const {
  MutexLock lock(mu_);
  std::vector<WebhookEndpoint> out = endpoints_;
  for (WebhookEndpoint& e : out) e.secret.clear();
  return out;
}

std::vector<WebhookEndpoint> WebhookService::list_with_secrets() const {
  MutexLock lock(mu_);
  return endpoints_;
}

ComponentHealth WebhookService::health() const {
  MutexLock lock(mu_);
  std::string failing;
  for (const WebhookEndpoint& e : endpoints_) {
    if (e.failing) failing += (failing.empty() ? "" : "; ") + e.id + " " + e.url + ": " + e.last_error;
  }
  return ComponentHealth{.name = "webhooks", .critical = false, .ok = failing.empty(),
                         .detail = failing.empty() ? std::to_string(endpoints_.size()) + " endpoints delivering"
                                                   : "failing (retried from their cursors): " + failing};
}

std::string WebhookService::metrics_text() const {
  MutexLock lock(mu_);
  std::string out =
      "# HELP tally_webhook_delivered_total Webhook deliveries answered 2xx.\n"
      "# TYPE tally_webhook_delivered_total counter\n";
  for (const WebhookEndpoint& e : endpoints_) {
    out += "tally_webhook_delivered_total{endpoint=\"" + e.id + "\"} " + std::to_string(e.delivered) + "\n";
  }
  out += "# HELP tally_webhook_failures_total Webhook deliveries that failed (each is retried).\n"
         "# TYPE tally_webhook_failures_total counter\n";
  for (const WebhookEndpoint& e : endpoints_) {
    out += "tally_webhook_failures_total{endpoint=\"" + e.id + "\"} " + std::to_string(e.failures) + "\n";
  }
  out += "# HELP tally_webhook_failing 1 while the endpoint is marked failing.\n"
         "# TYPE tally_webhook_failing gauge\n";
  for (const WebhookEndpoint& e : endpoints_) {
    out += "tally_webhook_failing{endpoint=\"" + e.id + "\"} " + (e.failing ? "1" : "0") + "\n";
  }
  return out;
}

void WebhookService::run() {
  for (;;) {
    deliver_due();
    UniqueLock lock(mu_);
    if (stopping_) return;
    wake_.wait_for(lock.native(), std::chrono::milliseconds(50), [this]() REQUIRES(mu_) { return stopping_; });
    if (stopping_) return;
  }
}

void WebhookService::deliver_due() {
  std::vector<WebhookEndpoint> work = list_with_secrets();
  std::map<std::string, Runtime> kept;
  const auto now = std::chrono::steady_clock::now();
  for (WebhookEndpoint& e : work) {
    Runtime& rt = runtime_[e.id];
    if (rt.next_try <= now) {
      deliver(e, rt);
      merge(e);
    }
    kept[e.id] = std::move(rt);
  }
  runtime_ = std::move(kept);  // removed endpoints' clients go
}

bool WebhookService::deliver(WebhookEndpoint& e, Runtime& rt) {
  for (uint32_t i = 0; i < node_.partition_count(); i++) {
    const Partition p{i};
    if (!node_.owns(p)) continue;
    Result<EventPage> page = read_events(node_.log(), *node_.store_ref(p), node_.pipeline(p).applied(),
                                         e.cursors[i], kEventsPerPage);
    if (!page.ok()) {
      // Not the endpoint's fault: no failure counted; tried again in a second.
      logging::warn("webhooks", "reading partition {}'s events for {}: {}", i, e.id, page.status().message());
      rt.next_try = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      return false;
    }
    for (size_t k = 0; k < page->events.size(); k++) {
      const ChangeEvent& ev = page->events[k];
      const std::optional<std::string_view> type = webhook_event(ev);
      if (type && e.wants(*type)) {
        if (Status s = post(e, rt, *type, ev); !s.ok()) {
          record_failure(e, rt, s.message());
          return false;
        }
        e.delivered++;
        e.consecutive_failures = 0;
        e.failing = false;
        e.last_error.clear();
      }
      e.cursors[i] = k + 1 < page->events.size() ? page->events[k + 1].position : page->next;
    }
  }
  return true;
}

Status WebhookService::post(const WebhookEndpoint& e, Runtime& rt, std::string_view type, const ChangeEvent& ev) {
  TALLY_ASSIGN_OR_RETURN(WebhookUrl url, parse_webhook_url(e.url, "url"));
  if (!rt.client) {
    TALLY_ASSIGN_OR_RETURN(rt.client, Client::make(url.host_port));
  }
  const std::string body = delivery_body(type, ev);
  const std::string ts = unix_seconds_now();
  const std::vector<Header> headers = {{"Content-Type", "application/json"},
                                       {"User-Agent", "tally-webhooks/1"},
                                       {"Tally-Webhook-Id", cursor_to_string(ev.position)},
                                       {"Tally-Webhook-Event", std::string(type)},
                                       {"Tally-Webhook-Timestamp", ts},
                                       {"Tally-Webhook-Signature", webhook_signature(e.secret, ts, body)}};
  Result<ClientReply> reply = rt.client->request("POST", url.target, body, policy_.request_timeout, headers);
  if (!reply.ok()) {
    rt.client.reset();  // a fresh connection next time
    return reply.status();
  }
  if (reply->status < 200 || reply->status > 299) {
    return Status::Unavailable("answered HTTP " + std::to_string(reply->status));
  }
  return Status::Ok();
}

void WebhookService::record_failure(WebhookEndpoint& e, Runtime& rt, const std::string& why) {
  e.failures++;
  e.consecutive_failures++;
  e.last_error = why;
  if (!e.failing && e.consecutive_failures >= policy_.failing_after) {
    e.failing = true;
    logging::warn("webhooks", "{} ({}) is failing after {} failures in a row: {}", e.id, e.url,
                  e.consecutive_failures, why);
  }
  rt.next_try = std::chrono::steady_clock::now() + retry_delay(e.consecutive_failures, 1.0 - jitter_.next(), policy_);
}

void WebhookService::merge(const WebhookEndpoint& done) {
  MutexLock lock(mu_);
  const auto it = std::find_if(endpoints_.begin(), endpoints_.end(), [&](const auto& e) { return e.id == done.id; });
  if (it == endpoints_.end()) return;
  const bool changed = it->cursors != done.cursors || it->failures != done.failures || it->failing != done.failing;
  *it = done;
  if (!changed) return;
  if (Status s = save_webhooks(path_, endpoints_); !s.ok()) {
    logging::error("webhooks", "saving the webhooks' progress: {} (deliveries go on; a restart repeats them)",
                   s.message());
  }
}

}  // namespace tally::http
