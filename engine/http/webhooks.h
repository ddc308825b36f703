// Webhooks (docs/webhooks.md): the change stream's events that users
// subscribe to by name, delivered as signed HTTP POSTs. This file is the
// pure part, free of I/O so tests drive it directly: which change event is
// which webhook event, the body and the signature of a delivery, the
// endpoint URL's form, and the retry schedule. Thread-safe: pure functions.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"
#include "projections/change_events.h"

namespace tally::http {

// Every event name an endpoint may subscribe to, in the docs' order.
inline constexpr std::string_view kWebhookEventNames[] = {
    "account.created",  "transfer.created",  "transfer.pending", "transfer.completed", "transfer.voided",
    "transfer.rejected", "pending.expired", "saga.compensated",
};

// The webhook event a change event is, or nullopt for what users do not
// subscribe to (idempotent repeats answered `exists`, a saga's internal
// steps). transfer.completed: the money reached the credit account (a
// single-phase transfer in one partition, a post, or a saga's completion
// reply); transfer.created: a cross-partition transfer's reservation (its
// saga goes on); transfer.pending: a pending transfer held the amount.
std::optional<std::string_view> webhook_event(const ChangeEvent& e);

// invalid_argument naming `field` when a name is unknown or repeated, or
// the list is empty.
Status check_event_names(std::span<const std::string> names, std::string_view field);

// "http://HOST:PORT/PATH" split; invalid_argument naming `field` otherwise
// (https is not spoken here: docs/webhooks.md "TLS").
struct WebhookUrl {
  std::string host_port;  // "127.0.0.1:9000"
  std::string target;     // "/hooks/tally" ("/" when the URL has no path)
};
Result<WebhookUrl> parse_webhook_url(std::string_view url, std::string_view field);

// The POST body: {"id":"<cursor>","type":"transfer.completed","event":{..}}.
std::string delivery_body(std::string_view type, const ChangeEvent& e);
// "v1=" + hex HMAC-SHA-256(secret, timestamp + "." + body): the
// Tally-Webhook-Signature header; `timestamp` is the
// Tally-Webhook-Timestamp header (Unix seconds, decimal).
std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

struct WebhookPolicy {
  std::chrono::milliseconds request_timeout{5000};  // one delivery's answer
  std::chrono::milliseconds first_retry{250};       // after the first failure
  std::chrono::milliseconds max_retry{60000};       // the retries' ceiling
  uint32_t failing_after = 8;  // consecutive failures that mark the endpoint failing
};

// The wait before the next try after `failures` consecutive failures
// (>= 1), by the recovery's backoff (recovery/backoff.h): first_retry
// doubled per failure, capped at max_retry (and at max_retry from
// failing_after failures on), scaled by 0.5 + jitter / 2 (jitter in [0, 1])
// so endpoints that failed together do not come back together.
std::chrono::milliseconds retry_delay(uint32_t failures, double jitter, const WebhookPolicy& policy);

}  // namespace tally::http
