// The webhook endpoints of a serve and how far each has been delivered,
// kept in DATA/webhooks.json (docs/webhooks.md "Where endpoints are kept").
// Written whole to a temporary file, fsync'd and renamed over the old one,
// so a crash leaves either the old or the new file; mode 0600 (it holds
// the signing secrets). Not thread-safe: the WebhookService serializes.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/http/webhooks.h"

namespace tally::http {

struct WebhookEndpoint {
  std::string id;  // "wh_" + 12 hex digits
  std::string url;
  std::vector<std::string> events;  // the subscribed names
  std::string secret;
  // Per partition, the next event to consider: everything before it was
  // delivered (or was not subscribed to).
  std::vector<EventCursor> cursors;
  uint64_t delivered = 0;           // deliveries answered 2xx
  uint64_t failures = 0;            // deliveries that failed, in all
  uint32_t consecutive_failures = 0;
  bool failing = false;             // consecutive_failures reached the policy's failing_after
  std::string last_error;           // of the last failure while it lasts; "" after a success

  bool wants(std::string_view event) const;
};

// An endpoint as JSON: the file's form (with the secret) and the admin
// routes' (without).
boost::json::object webhook_to_json(const WebhookEndpoint& e, bool with_secret);

// The endpoints in `path`; none when the file does not exist. corruption
// naming the file's problem otherwise; failed_precondition when it was
// written for another partition count.
Result<std::vector<WebhookEndpoint>> load_webhooks(const std::string& path, uint32_t partitions);
Status save_webhooks(const std::string& path, const std::vector<WebhookEndpoint>& endpoints);

}  // namespace tally::http
