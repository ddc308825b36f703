#include "bench/scale_bench.h"

#include <boost/json/array.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <thread>

namespace tally::bench {
namespace {

const char* axis_name(ScaleAxis a) { return a == ScaleAxis::partitions ? "partitions" : "accounts"; }

LedgerOptions with_value(const LedgerOptions& base, ScaleAxis axis, uint64_t v) {
  LedgerOptions o = base;
  if (axis == ScaleAxis::partitions) {
    o.partitions = static_cast<uint32_t>(v);
    o.workload.partitions = o.partitions;
  } else {
    o.workload.accounts = v;
  }
  return o;
}

boost::json::array to_json(const std::vector<double>& v) {
  boost::json::array a;
  for (double x : v) a.push_back(x);
  return a;
}

struct ScaleRun {
  uint64_t value = 0;
  int round = 0;
  TransferFigures figures;
  std::vector<double> load_before, load_after;
};

double median_tps(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2;
}

// One value's runs: best and median transfers/s, and the CPU per transfer
// of the best run.
struct Summary {
  double best = 0, median = 0, cpu_us = 0;
  double best_cpu_bound = 0;  // the best of cpu_bound_tps over the value's runs
};

double cpu_bound_tps(const TransferFigures& f);

Summary summarize(const std::vector<ScaleRun>& runs, uint64_t value) {
  Summary s;
  std::vector<double> tps;
  for (const ScaleRun& r : runs) {
    if (r.value != value) continue;
    tps.push_back(r.figures.tps);
    s.best_cpu_bound = std::max(s.best_cpu_bound, cpu_bound_tps(r.figures));
    if (r.figures.tps > s.best) {
      s.best = r.figures.tps;
      s.cpu_us = r.figures.cpu_us_per_transfer;
    }
  }
  s.median = median_tps(tps);
  return s;
}

// What the run would have done with every core to itself, from its CPU
// alone: the slower of its pipelines (each partition's pipeline is one
// thread, their CPU assumed even) and all of its CPU spread over the cores.
// On a shared machine, where a run gets what the other load leaves it,
// this is the figure that holds (docs/benchmarks.md "Scaling").
double cpu_bound_tps(const TransferFigures& f) {
  const auto pipe = f.cpu_by_thread.find("tally pipe");
  const size_t partitions = std::max<size_t>(1, f.digests.size());
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double per_pipeline = pipe == f.cpu_by_thread.end() ? 0 : pipe->second / static_cast<double>(partitions);
  const double seconds = std::max(per_pipeline, f.cpu_seconds / cores);
  return seconds > 0 ? static_cast<double>(f.transfers) / seconds : 0;
}

// The text line that puts a run beside its round's baseline run.
void print_beside(ScaleAxis axis, const ScaleRun& r, const ScaleRun& base) {
  const double ratio = base.figures.tps > 0 ? r.figures.tps / base.figures.tps : 0;
  std::printf("scale: %s %llu (round %d): %.0f transfers/s, %.2f µs CPU each, %.2f cores busy; "
              "%s %llu: %.0f transfers/s, %.2f µs CPU each; ratio %.2fx; load average %.2f before, %.2f after\n",
              axis_name(axis), (unsigned long long)r.value, r.round, r.figures.tps, r.figures.cpu_us_per_transfer,
              r.figures.seconds > 0 ? r.figures.cpu_seconds / r.figures.seconds : 0.0, axis_name(axis),
              (unsigned long long)base.value, base.figures.tps, base.figures.cpu_us_per_transfer, ratio,
              r.load_before.at(0), r.load_after.at(0));
  const double bound = cpu_bound_tps(r.figures), base_bound = cpu_bound_tps(base.figures);
  std::printf("scale: from the CPU alone, with every core free: %.0f transfers/s, %.2fx the baseline's %.0f\n", bound,
              base_bound > 0 ? bound / base_bound : 0.0, base_bound);
}

boost::json::object scale_json(ScaleAxis axis, const ScaleRun& r, const ScaleRun& base) {
  return {{"axis", axis_name(axis)},
          {"value", r.value},
          {"round", r.round},
          {"baseline", base.value},
          {"baseline_transfers_per_second", base.figures.tps},
          {"ratio_to_baseline", base.figures.tps > 0 ? r.figures.tps / base.figures.tps : 0.0},
          {"cpu_ratio_to_baseline", base.figures.cpu_us_per_transfer > 0
                                        ? r.figures.cpu_us_per_transfer / base.figures.cpu_us_per_transfer
                                        : 0.0},
          {"cpu_bound_transfers_per_second", cpu_bound_tps(r.figures)},
          {"cpu_bound_ratio_to_baseline", cpu_bound_tps(base.figures) > 0
                                              ? cpu_bound_tps(r.figures) / cpu_bound_tps(base.figures)
                                              : 0.0},
          {"load_average_before", to_json(r.load_before)},
          {"load_average_after", to_json(r.load_after)}};
}

// The summary line per value, and its JSON form.
boost::json::object print_summary(const ScaleOptions& s, const std::vector<ScaleRun>& runs) {
  const Summary base = summarize(runs, s.values[0]);
  boost::json::array rows;
  for (uint64_t v : s.values) {
    const Summary m = summarize(runs, v);
    const double ratio = base.best > 0 ? m.best / base.best : 0;
    const double bound_ratio = base.best_cpu_bound > 0 ? m.best_cpu_bound / base.best_cpu_bound : 0;
    std::printf("scale summary: %s %llu: best %.0f transfers/s (median %.0f, %d round%s), %.2f µs CPU each; "
                "%.2fx the best of %s %llu; from the CPU alone %.0f transfers/s, %.2fx\n",
                axis_name(s.axis), (unsigned long long)v, m.best, m.median, s.rounds, s.rounds == 1 ? "" : "s",
                m.cpu_us, ratio, axis_name(s.axis), (unsigned long long)s.values[0], m.best_cpu_bound, bound_ratio);
    rows.push_back({{"value", v}, {"best_transfers_per_second", m.best},
                    {"median_transfers_per_second", m.median}, {"cpu_us_per_transfer_of_best", m.cpu_us},
                    {"best_ratio_to_baseline", ratio},
                    {"best_cpu_bound_transfers_per_second", m.best_cpu_bound},
                    {"best_cpu_bound_ratio_to_baseline", bound_ratio},
                    {"median_ratio_to_baseline", base.median > 0 ? m.median / base.median : 0.0}});
  }
  return {{"axis", axis_name(s.axis)}, {"rounds", s.rounds}, {"values", std::move(rows)}};
}

}  // namespace

Result<std::vector<uint64_t>> parse_scale_list(std::string_view option, std::string_view text, uint64_t max) {
  std::vector<uint64_t> out;
  const Status bad = Status::InvalidArgument(std::string(option) + " must be 1 to 16 comma-separated whole numbers in 1.." +
                                             std::to_string(max) + ", not '" + std::string(text) + "'");
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string_view item = text.substr(at, comma - at);
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || v < 1 || v > max) return bad;
    out.push_back(v);
    at = comma + 1;
  }
  if (out.empty() || out.size() > 16) return bad;
  return out;
}

int scale_main(const LedgerOptions& base, const ScaleOptions& s, const JsonStdout& out,
               const boost::json::object& header) {
  std::vector<ScaleRun> runs;
  int rc = 0;
  for (int round = 1; round <= s.rounds && rc == 0; round++) {
    size_t baseline = runs.size();  // this round's first run
    for (uint64_t v : s.values) {
      std::printf("\n== %s %llu, round %d of %d ==\n", axis_name(s.axis), (unsigned long long)v, round, s.rounds);
      ScaleRun r{v, round, {}, load_average(), {}};
      boost::json::object h = header;
      h["started"] = utc_now_iso();
      rc = run_ledger(with_value(base, s.axis, v), r.figures);
      r.load_after = load_average();
      runs.push_back(r);
      print_beside(s.axis, runs.back(), runs[baseline]);
      h["scale"] = scale_json(s.axis, runs.back(), runs[baseline]);
      const bool last = round == s.rounds && v == s.values.back();
      if (rc == 0 && last) {
        std::printf("\n");
        h["scale_summary"] = print_summary(s, runs);
      }
      const std::string name = std::string("scale_") + axis_name(s.axis) + "_" + std::to_string(v);
      print_ledger_run(out, h, name.c_str(), runs.back().figures, rc);
      if (rc != 0) break;
    }
  }
  return rc;
}

}  // namespace tally::bench
