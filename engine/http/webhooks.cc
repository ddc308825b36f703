#include "engine/http/webhooks.h"

#include <algorithm>
#include <cmath>
#include <boost/json.hpp>
#include <set>

#include "engine/http/address.h"
#include "engine/http/hmac.h"
#include "engine/json/event_json.h"
#include "engine/json/text.h"
#include "recovery/backoff.h"

namespace tally::http {

std::optional<std::string_view> webhook_event(const ChangeEvent& e) {
  if (e.quarantined) return std::nullopt;
  if (e.outcome == Outcome::saga_completed) return "transfer.completed";
  if (e.outcome == Outcome::saga_compensated) return "saga.compensated";
  if (std::holds_alternative<CreateAccount>(e.command)) {
    if (e.outcome == Outcome::created) return "account.created";
    return std::nullopt;
  }
  if (const auto* x = std::get_if<ExpirePending>(&e.command)) {
    (void)x;
    if (e.outcome == Outcome::expired) return "pending.expired";
    return std::nullopt;
  }
  const auto* t = std::get_if<CreateTransfer>(&e.command);
  if (t == nullptr || e.outcome == Outcome::exists) return std::nullopt;
  if (e.outcome != Outcome::created) return "transfer.rejected";
  if ((t->flags & transfer_flags::pending) != 0) return "transfer.pending";
  if ((t->flags & transfer_flags::void_pending) != 0) return "transfer.voided";
  if (e.transfer && e.transfer->kind == TransferKind::saga_source) return "transfer.created";
  return "transfer.completed";
}

Status check_event_names(std::span<const std::string> names, std::string_view field) {
  if (names.empty()) return Status::InvalidArgument(std::string(field) + " must name at least one event");
  std::set<std::string> seen;
  for (const std::string& n : names) {
    if (std::find(std::begin(kWebhookEventNames), std::end(kWebhookEventNames), n) == std::end(kWebhookEventNames)) {
      std::string known;
      for (std::string_view k : kWebhookEventNames) known += (known.empty() ? "" : ", ") + std::string(k);
      return Status::InvalidArgument(std::string(field) + ": unknown event \"" + n.substr(0, 64) +
                                     "\" (known: " + known + ")");
    }
    if (!seen.insert(n).second) return Status::InvalidArgument(std::string(field) + ": \"" + n + "\" is given twice");
  }
  return Status::Ok();
}

Result<WebhookUrl> parse_webhook_url(std::string_view url, std::string_view field) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, 8) == "https://") {
    return Status::InvalidArgument(std::string(field) +
                                   ": https is not supported; deliver to http:// through a TLS-terminating proxy");
  }
  if (url.substr(0, kScheme.size()) != kScheme || url.size() > 2048) {
    return Status::InvalidArgument(std::string(field) + " must be http://HOST:PORT/PATH (at most 2048 characters)");
  }
  const std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  WebhookUrl out;
  out.host_port = std::string(rest.substr(0, slash));
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (Result<HostPort> hp = parse_host_port(out.host_port); !hp.ok()) {
    return Status::InvalidArgument(std::string(field) + ": " + hp.status().message());
  }
  return out;
}

std::string delivery_body(std::string_view type, const ChangeEvent& e) {
  const boost::json::object o{{"id", cursor_to_string(e.position)}, {"type", type}, {"event", event_to_json(e)}};
  return json_text::serialize(o);
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string message(timestamp);
  message += '.';
  message += body;
  return "v1=" + hmac_sha256_hex(secret, message);
}

std::chrono::milliseconds retry_delay(uint32_t failures, double jitter, const WebhookPolicy& policy) {
  // The recovery's one backoff (recovery/backoff.h): its draw u takes off
  // up to half the delay, so jitter 1 is the whole delay and 0 half of it.
  const BackoffPolicy backoff{.initial = policy.first_retry,
                              .max = policy.max_retry,
                              .multiplier = 2.0,
                              .jitter = 0.5,
                              .max_attempts = std::max<uint32_t>(policy.failing_after, 1)};
  const double u = std::min(1.0 - std::clamp(jitter, 0.0, 1.0), std::nextafter(1.0, 0.0));
  return std::chrono::duration_cast<std::chrono::milliseconds>(backoff_delay(backoff, std::max<uint32_t>(failures, 1), u));
}

}  // namespace tally::http
