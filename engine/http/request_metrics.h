// Counters of the HTTP API itself for /metrics: requests by route and status
// code, and request latency by route. Routes are the fixed patterns
// ("/v1/accounts/{id}"), so the label sets stay small. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/node/metrics.h"

namespace tally::http {

class RequestMetrics {
 public:
  // `routes`: the label of each route index; one more index counts
  // requests that matched no route.
  explicit RequestMetrics(std::vector<std::string> routes);

  void record(size_t route, unsigned status, uint64_t micros);
  // tally_http_requests_total{route,code} and tally_http_request_seconds{route}.
  std::string prometheus() const;

 private:
  struct PerRoute {
    std::string label;
    LatencyHistogram latency;
    mutable tally::Mutex mu;
    std::map<unsigned, uint64_t> by_status GUARDED_BY(mu);
  };
  std::vector<std::unique_ptr<PerRoute>> routes_;  // constant after construction
};

}  // namespace tally::http
