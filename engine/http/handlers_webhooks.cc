// POST /v1/admin/webhooks, GET /v1/admin/webhooks, DELETE
// /v1/admin/webhooks/{id}: the webhook endpoints of a serve
// (docs/webhooks.md). Admin scope, as every /v1/admin route.
#include <boost/json.hpp>

#include "engine/http/handlers.h"
#include "engine/http/params.h"

namespace tally::http {
namespace json = boost::json;

namespace {

Result<WebhookRequest> webhook_request(const json::object& o) {
  WebhookRequest r;
  const json::value* url = o.if_contains("url");
  if (url == nullptr || !url->is_string()) return Status::InvalidArgument("field \"url\" is required: http://HOST:PORT/PATH");
  r.url = std::string(url->as_string());
  const json::value* secret = o.if_contains("secret");
  if (secret == nullptr || !secret->is_string()) {
    return Status::InvalidArgument("field \"secret\" is required: the HMAC-SHA-256 key, 16..256 characters");
  }
  r.secret = std::string(secret->as_string());
  const json::value* events = o.if_contains("events");
  if (events == nullptr || !events->is_array()) {
    return Status::InvalidArgument("field \"events\" is required: a list of event names (docs/webhooks.md)");
  }
  for (const json::value& e : events->as_array()) {
    if (!e.is_string()) return Status::InvalidArgument("field \"events\" must list strings");
    r.events.emplace_back(e.as_string());
  }
  if (const json::value* from = o.if_contains("from")) {
    if (!from->is_string() || (from->as_string() != "now" && from->as_string() != "start")) {
      return Status::InvalidArgument("field \"from\" must be \"now\" (the default) or \"start\"");
    }
    r.from_start = from->as_string() == "start";
  }
  return r;
}

}  // namespace

Response post_webhook(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<json::object> body = parse_body_object(
      args.body, {"url", "events", "secret", "from"},
      R"({"url": "http://127.0.0.1:9000/hooks", "events": ["transfer.completed"], "secret": "..."})");
  if (!body.ok()) return error_response(body.status());
  Result<WebhookRequest> request = webhook_request(*body);
  if (!request.ok()) return error_response(request.status());
  Result<WebhookEndpoint> added = backend.add_webhook(*request);
  if (!added.ok()) return error_response(added.status());
  return json_response(201, webhook_to_json(*added, false));
}

Response get_webhooks(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<std::vector<WebhookEndpoint>> all = backend.webhooks();
  if (!all.ok()) return error_response(all.status());
  json::array list;
  for (const WebhookEndpoint& e : *all) list.push_back(webhook_to_json(e, false));
  return json_response(200, json::object{{"webhooks", std::move(list)}});
}

Response delete_webhook(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  const Status s = backend.remove_webhook(args.captures[0]);
  if (!s.ok()) return error_response(s);
  return json_response(200, json::object{{"removed", args.captures[0]}});
}

}  // namespace tally::http
