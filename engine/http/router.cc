#include "engine/http/router.h"

#include <chrono>
#include <exception>

#include "engine/http/handlers.h"
#include "engine/http/api_limits.h"
#include "engine/http/params.h"
#include "engine/http/process_metrics.h"

namespace tally::http {
namespace {

struct Route {
  std::string_view method;
  std::string_view pattern;  // "{...}" segments match any one segment
  Handler handler;           // nullptr: /metrics, which the router answers
  Scope scope = Scope::none; // the partitions the answer comes from
};

constexpr Route kRoutes[] = {
    {"POST", "/v1/commands", post_commands},
    {"GET", "/v1/accounts/{id}", get_account, Scope::account},
    {"GET", "/v1/accounts/{id}/history", get_history, Scope::account},
    {"GET", "/v1/accounts/{id}/balance", get_balance, Scope::account},
    {"GET", "/v1/transfers/{id}", get_transfer, Scope::search},
    {"GET", "/v1/offsets/{partition}/{offset}", get_offset, Scope::partition},
    {"GET", "/v1/pending", get_pending, Scope::every},
    // List queries (handlers_lists.cc).
    {"GET", "/v1/accounts", get_accounts_list, Scope::every},
    {"GET", "/v1/transfers", get_transfers_list, Scope::every},
    {"GET", "/v1/stuck", get_stuck, Scope::every},
    // The change stream (handlers_events.cc; the partition is a parameter).
    {"GET", "/v1/events", get_events},
    {"GET", "/v1/sagas/{id}", get_saga, Scope::search},
    {"GET", "/v1/transit", get_transit, Scope::every},
    {"POST", "/v1/admin/rebuild", post_rebuild},
    {"POST", "/v1/admin/checkpoint", post_checkpoint},
    // Webhook endpoints (handlers_webhooks.cc).
    {"POST", "/v1/admin/webhooks", post_webhook},
    {"GET", "/v1/admin/webhooks", get_webhooks},
    {"DELETE", "/v1/admin/webhooks/{id}", delete_webhook},
    {"GET", "/health", get_health},
    {"GET", "/metrics", nullptr},
};
constexpr size_t kRouteCount = std::size(kRoutes);

std::vector<std::string> route_labels() {
  std::vector<std::string> out;
  for (const Route& r : kRoutes) out.emplace_back(r.pattern);
  return out;
}

// Whether `segments` fit `pattern`; the wildcard segments go to `captures`.
bool match(std::string_view pattern, const std::vector<std::string>& segments,
           std::vector<std::string>& captures) {
  captures.clear();
  size_t i = 0;
  size_t start = 1;  // past the leading '/'
  for (;;) {
    const size_t end = pattern.find('/', start);
    const std::string_view seg = pattern.substr(start, end == std::string_view::npos ? end : end - start);
    if (i >= segments.size()) return false;
    if (!seg.empty() && seg.front() == '{') {
      captures.push_back(segments[i]);
    } else if (seg != segments[i]) {
      return false;
    }
    i++;
    if (end == std::string_view::npos) return i == segments.size();
    start = end + 1;
  }
}

uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

}  // namespace

Router::Router(Backend& backend) : backend_(backend), metrics_(route_labels()) {}

Response Router::handle(const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  size_t route = kRouteCount;
  Response r;
  try {
    r = dispatch(request, route);
  } catch (const std::exception& e) {
    r = error_response(500, std::string("internal error: ") + e.what());
  }
  metrics_.record(route, r.status, micros_since(start));
  return r;
}

Response Router::dispatch(const Request& request, size_t& route) {
  Result<Target> target = parse_target(request.target);
  if (!target.ok()) return error_response(target.status());
  std::vector<std::string> captures;
  std::string allow;
  for (size_t i = 0; i < kRouteCount; i++) {
    const Route& r = kRoutes[i];
    if (!match(r.pattern, target->segments, captures)) continue;
    if (r.method != request.method) {
      allow += (allow.empty() ? "" : ", ") + std::string(r.method);
      route = i;  // a 405 counts under the path's route
      continue;
    }
    route = i;
    if (request.body.size() > kMaxBodyBytes) {
      return error_response(413, "the body has " + std::to_string(request.body.size()) +
                                     " bytes, over the limit of " + std::to_string(kMaxBodyBytes));
    }
    if (r.handler == nullptr) {
      Response m;
      m.content_type = kPrometheusContentType;
      m.body = metrics_text();
      return m;
    }
    if (std::optional<Response> m = misdirected(backend_, r.scope, captures)) return *m;
    return elsewhere(backend_, r.scope,
                     r.handler(backend_, RouteArgs{std::move(captures), std::move(target->query), request.body,
                                                   request.accept, request.last_event_id}));
  }
  const std::string path = request.target.substr(0, request.target.find('?'));
  if (!allow.empty()) {
    Response r = error_response(405, "method " + request.method + " is not allowed on " + path +
                                         " (allowed: " + allow + ")");
    r.allow = allow;
    return r;
  }
  return error_response(404, "no route for " + request.method + " " + path);
}

std::vector<std::pair<std::string_view, std::string_view>> Router::routes() {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  for (const Route& r : kRoutes) out.emplace_back(r.method, r.pattern);
  return out;
}

void Router::count_unrouted(unsigned status) { metrics_.record(kRouteCount, status, 0); }

std::string Router::metrics_text() {
  return backend_.metrics_text() + metrics_.prometheus() + process_metrics_text();
}

}  // namespace tally::http
