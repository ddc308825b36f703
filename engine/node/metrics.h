// Counters the pipeline and the node keep for /metrics and /health. All
// fields are atomics: written by one pipeline thread each, read by any.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace tally {

// A fixed-bucket latency histogram (upper bounds in microseconds). The
// buckets reach 60 s because an HTTP request may wait that long (a POST
// with wait=true and timeout_ms up to its maximum).
class LatencyHistogram {
 public:
  static constexpr std::array<uint64_t, 19> kBoundsMicros = {
      10,      25,      50,      100,     250,      500,      1000,     2500,     5000,    10000,
      25000,   50000,   100000,  1000000, 2500000,  5000000,  10000000, 30000000, 60000000};
  void record(uint64_t micros);
  // Prometheus text lines for a histogram named `name` with `labels` ("" or 'a="b"').
  std::string prometheus(const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBoundsMicros.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

struct PartitionMetrics {
  std::atomic<uint64_t> applied_next_offset{0};  // records below this are applied
  std::atomic<uint64_t> log_end_offset{0};       // last seen end of the log
  std::atomic<uint64_t> outbox_next_seq{0};      // the next outbox entry's seq (entries below are staged)
  std::atomic<uint64_t> commands_applied{0};
  std::atomic<uint64_t> records_applied{0};
  std::atomic<uint64_t> records_quarantined{0};
  std::atomic<uint64_t> commits{0};
  std::array<std::atomic<uint64_t>, 128> outcomes{};  // by outcome value (< 128)
  LatencyHistogram apply_latency;                     // per record
};

}  // namespace tally
