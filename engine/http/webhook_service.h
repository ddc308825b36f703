// WebhookService: delivers the change stream's subscribed events to each
// endpoint (docs/webhooks.md), one POST per event, in log order per
// partition, at least once: an endpoint's cursor moves past an event only
// after the endpoint answered it 2xx (or did not subscribe to it), and the
// cursors are saved (webhook_registry.h) after every page, so a restart
// resumes where deliveries stopped; a repeat carries the same
// Tally-Webhook-Id (the event's cursor), the receiver's idempotency key.
//
// A failed delivery (no answer within the policy's timeout, a refused
// connection, a status outside 2xx) is tried again after retry_delay();
// after failing_after failures in a row the endpoint is marked failing
// (/health, /metrics) and retried at the ceiling until it answers, from
// its cursor. Endpoints do not hold each other up beyond one request.
//
// Thread safety: add/remove/list/health/metrics_text from any thread;
// start() and stop() from one. REQUIRES: the node owns every partition
// (webhooks are not offered with --group).
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/http/client.h"
#include "engine/http/webhook_registry.h"
#include "engine/node/node.h"
#include "recovery/backoff.h"

namespace tally::http {

struct WebhookRequest {
  std::string url;
  std::vector<std::string> events;
  std::string secret;
  bool from_start = false;  // deliver the partitions' whole history, not only what comes next
};

// Secrets are 16..256 characters.
inline constexpr size_t kMinWebhookSecret = 16;
inline constexpr size_t kMaxWebhookSecret = 256;
inline constexpr size_t kMaxWebhooks = 64;

class WebhookService {
 public:
  // Loads the endpoints of `path` (DATA/webhooks.json).
  static Result<std::unique_ptr<WebhookService>> open(Node& node, std::string path, WebhookPolicy policy = {});
  ~WebhookService();

  void start();
  void stop();

  // invalid_argument naming the field; resource_exhausted past kMaxWebhooks.
  Result<WebhookEndpoint> add(const WebhookRequest& request);
  // not_found when there is no such endpoint.
  Status remove(const std::string& id);
  // Every endpoint, secrets left out.
  std::vector<WebhookEndpoint> list() const;
  ComponentHealth health() const;
  std::string metrics_text() const;

  // One pass: for each endpoint whose next try is due, delivers what its
  // cursors have to deliver, a page per partition. For start()'s thread and tests.
  void deliver_due();

 private:
  struct Runtime {
    std::unique_ptr<Client> client;
    std::chrono::steady_clock::time_point next_try{};
  };
  WebhookService(Node& node, std::string path, WebhookPolicy policy, std::vector<WebhookEndpoint> endpoints);
  void run();
  std::vector<WebhookEndpoint> list_with_secrets() const;
  // Delivers `e`'s pending events; false when a delivery failed (e records it).
  bool deliver(WebhookEndpoint& e, Runtime& rt);
  Status post(const WebhookEndpoint& e, Runtime& rt, std::string_view type, const ChangeEvent& ev);
  void record_failure(WebhookEndpoint& e, Runtime& rt, const std::string& why);
  // Writes back what a delivery pass changed, if the endpoint still exists.
  void merge(const WebhookEndpoint& e);

  Node& node_;
  const std::string path_;
  const WebhookPolicy policy_;
  mutable Mutex mu_;
  std::vector<WebhookEndpoint> endpoints_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::condition_variable wake_;
  std::map<std::string, Runtime> runtime_;  // the delivery thread's own
  Jitter jitter_;  // the delivery thread's own
  std::thread thread_;
};

}  // namespace tally::http
