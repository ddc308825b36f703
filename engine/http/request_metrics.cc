#include "engine/http/request_metrics.h"

#include "engine/core/thread_annotations.h"

namespace tally::http {

RequestMetrics::RequestMetrics(std::vector<std::string> routes) {
  routes.push_back("unmatched");
  for (std::string& r : routes) {
    routes_.push_back(std::make_unique<PerRoute>());
    routes_.back()->label = std::move(r);
  }
}

void RequestMetrics::record(size_t route, unsigned status, uint64_t micros) {
  PerRoute& r = *routes_.at(std::min(route, routes_.size() - 1));
  r.latency.record(micros);
  tally::MutexLock lock(r.mu);
  r.by_status[status]++;
}

std::string RequestMetrics::prometheus() const {
  std::string out;
  out += "# HELP tally_http_requests_total HTTP requests answered, by route and status code.\n";
  out += "# TYPE tally_http_requests_total counter\n";
  {
    for (const auto& r : routes_) {
      tally::MutexLock lock(r->mu);
      for (const auto& [status, n] : r->by_status) {
        out += "tally_http_requests_total{route=\"" + r->label + "\",code=\"" +
               std::to_string(status) + "\"} " + std::to_string(n) + "\n";
      }
    }
  }
  out += "# HELP tally_http_request_seconds Time to answer an HTTP request, by route.\n";
  out += "# TYPE tally_http_request_seconds histogram\n";
  for (const auto& r : routes_) {
    out += r->latency.prometheus("tally_http_request_seconds", "route=\"" + r->label + "\"");
  }
  return out;
}

}  // namespace tally::http
