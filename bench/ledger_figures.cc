#include "bench/ledger_figures.h"

#include <boost/json/array.hpp>

namespace tally::bench {
namespace {

boost::json::object lookups_json(const LookupFigures& f, bool idle) {
  boost::json::object o{{"lookups", f.lookups}, {"p50_us", f.p50_us}, {"p99_us", f.p99_us},
                        {"p999_us", f.p999_us}, {"max_us", f.max_us}};
  if (idle) {
    o["per_second"] = f.per_second;
    o["clock_ns"] = f.clock_ns;
  } else {
    o["reader_cpu_seconds"] = f.cpu_seconds;
  }
  return o;
}

boost::json::object settle_json(const SettleFigures& f) {
  boost::json::object o{{"sampled", f.sampled}, {"seen_settled", f.seen},
                        {"observed_p50_ms", f.observed_p50_ms}, {"observed_p99_ms", f.observed_p99_ms},
                        {"observed_p100_ms", f.observed_p100_ms}, {"sagas", f.sagas},
                        {"compensated", f.compensated}, {"relayed", f.relayed},
                        {"relay_appends", f.relay_appends}, {"resends", f.saga_timeouts_appended},
                        {"deadlines_held", f.saga_deadlines_held}};
  if (f.log_time_ok) {
    o["log_time_p50_ms"] = f.log_p50_ms;
    o["log_time_p99_ms"] = f.log_p99_ms;
    o["log_time_p100_ms"] = f.log_p100_ms;
  }
  return o;
}

}  // namespace

void add_figures(boost::json::object& o, const TransferFigures& f) {
  o["transfers"] = f.transfers;
  o["records"] = f.records;
  o["seconds"] = f.seconds;
  o["transfers_per_second"] = f.tps;
  o["cpu_seconds"] = f.cpu_seconds;
  o["cpu_us_per_transfer"] = f.cpu_us_per_transfer;
  if (f.sagas) o["observer_cpu_seconds"] = f.observer_cpu_seconds;
  o["cores_busy"] = f.seconds > 0 ? f.cpu_seconds / f.seconds : 0.0;
  boost::json::object threads;
  for (const auto& [name, seconds] : f.cpu_by_thread) threads[name] = seconds;
  threads["(exited)"] = f.cpu_exited_threads;
  o["cpu_seconds_by_thread"] = std::move(threads);
  boost::json::object waits;
  for (const auto& [name, seconds] : f.cpu_wait_by_thread) waits[name] = seconds;
  o["cpu_wait_seconds_by_thread"] = std::move(waits);
  o["keys_written"] = f.keys_written;
  o["keys_per_transfer"] = f.keys_per_transfer;
  o["record_latency_ms"] = {{"p50", f.latency_p50_ms}, {"p99", f.latency_p99_ms}, {"p100", f.latency_p100_ms}};
  o["admission"] = {{"window", f.admission_window}, {"admitted", f.admitted}, {"refused", f.refused}};
  if (f.sagas) o["settle"] = settle_json(f.settle);
  if (f.lookups_under_load) o["lookups_under_load"] = lookups_json(*f.lookups_under_load, false);
  if (f.lookups_idle) o["lookups_idle"] = lookups_json(*f.lookups_idle, true);
  if (f.validated) o["validated"] = *f.validated;
  boost::json::array parts;
  for (size_t i = 0; i < f.digests.size(); i++) {
    parts.push_back({{"partition", f.digests[i].first}, {"applied_records", f.applied_records[i]},
                     {"digest", f.digests[i].second}});
  }
  o["partitions"] = std::move(parts);
}

}  // namespace tally::bench
