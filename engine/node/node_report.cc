// Node: health, metrics and stuck operations (what /health, /metrics and
// GET /v1/stuck show).
#include "engine/core/thread_annotations.h"
#include "engine/node/node.h"

#include "engine/core/bytes.h"

namespace tally {

namespace {
std::string plural(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}
}  // namespace

// The log as appends see it: the circuit breaker.
ComponentHealth Node::log_health() {
  ComponentHealth c{"log", false, true, ""};
  if (const Status disk = log_->append_condition(); !disk.ok()) {
    c.ok = false;
    c.detail = "appends refused: " + disk.message();
    return c;
  }
  const BreakerSnapshot b = log_->snapshot();
  if (b.state != BreakerState::closed) {
    c.ok = false;
    c.detail = log_->describe() + ": " + log_->describe_breaker() +
               "; appends fail fast, queries keep working";
    return c;
  }
  {
    tally::MutexLock lock(startup_mu_);
    if (!startup_log_error_.ok()) {
      auto end = log_->end_offset(Partition{0});
      if (end.ok()) {
        startup_log_error_ = Status::Ok();
      } else {
        c.ok = false;
        c.detail = log_->describe() + ": " + startup_log_error_.to_string() + "; retrying";
        return c;
      }
    }
  }
  c.detail = log_->describe() + ": " + log_->describe_breaker();
  return c;
}

ComponentHealth Node::scheduler_health() {
  ComponentHealth c{"scheduler", false, true, ""};
  const SchedulerStats s = scheduler_->stats();
  const std::string counts = plural(s.timers_due, "timer due", "timers due") + ", " +
                             std::to_string(s.awaiting_apply) + " awaiting apply, " +
                             std::to_string(s.stuck) + " stuck";
  if (!options_.run_scheduler) {
    c.detail = "not running (turned off)";
  } else if (s.stuck > 0) {
    c.ok = false;
    c.detail = plural(s.stuck, "timer is", "timers are") + " stuck (see GET /v1/stuck); " + counts;
  } else if (!s.error.ok()) {
    c.ok = false;
    c.detail = "retrying after: " + s.error.to_string() + "; " + counts;
  } else {
    c.detail = counts;
  }
  return c;
}

// Sagas in flight and stuck, from every owned partition's in-flight index.
ComponentHealth Node::saga_health() {
  ComponentHealth c{"sagas", false, true, ""};
  const SagaReport r = saga_report(0, nullptr);
  c.detail = std::to_string(r.in_flight) + " in flight, " + std::to_string(r.stuck) + " stuck";
  if (r.truncated) c.detail += " (counted up to " + std::to_string(kMaxSagaScan) + " per partition)";
  if (r.stuck > 0) {
    c.ok = false;
    c.detail = plural(r.stuck, "saga is", "sagas are") + " stuck in flight (see GET /v1/stuck); " + c.detail;
  } else if (!r.error.ok()) {
    c.ok = false;
    c.detail = "counting failed: " + r.error.to_string();
  }
  return c;
}

ComponentHealth Node::relay_health() {
  ComponentHealth c{"relay", false, true, ""};
  const RelayStats s = relay_->stats();
  const std::string counts = std::to_string(s.pending) + " outbox entries pending, " +
                             std::to_string(s.relayed) + " relayed";
  if (!options_.run_relay) {
    c.detail = "not running (turned off)";
  } else if (s.stuck > 0) {
    c.ok = false;
    c.detail = plural(s.stuck, "outbox entry is", "outbox entries are") + " stuck (last error: " +
               s.error.to_string() + "); " + counts;
  } else if (!s.error.ok()) {
    c.ok = false;
    c.detail = "retrying after: " + s.error.to_string() + "; " + counts;
  } else {
    c.detail = counts;
  }
  return c;
}

// Sagas of every owned partition as a source: in flight, and stuck (still
// in flight after SagaSchedule::kStuckAttempts sends; their re-drive is the
// coordinator's, in log time; see recovery/sagas.h). Reads the in-flight
// index of each owned partition, at most kMaxSagaScan keys each, and lists
// at most `limit` stuck sagas into `out` (when given).
Node::SagaReport Node::saga_report(size_t limit, std::vector<StuckOperation>* out) const {
  SagaReport r;
  r.partitions.resize(partition_count());
  for (uint32_t i = 0; i < partition_count(); i++) {
    const Partition p{i};
    if (!owns(p)) continue;
    const std::shared_ptr<const PartitionStore> store = store_ref(p);
    std::vector<Saga> stuck;
    const size_t room = out == nullptr ? 0 : limit - std::min(limit, out->size());
    auto c = count_sagas(*store, kMaxSagaScan, &stuck, room);
    if (!c.ok()) {
      if (r.error.ok()) r.error = c.status();
      continue;
    }
    r.partitions[p.value] = *c;
    r.in_flight += c->in_flight;
    r.stuck += c->stuck;
    r.truncated = r.truncated || c->truncated;
    for (const Saga& g : stuck) {
      StuckOperation op;
      op.kind = "saga";
      op.partition = g.source;
      op.id = g.id.value();
      op.target = g.destination;
      op.deadline = g.deadline;
      op.attempts = g.attempts;
      op.last_error = "in flight after " + std::to_string(g.attempts) + " sends; " +
                      (g.cancel_sent ? "the cancel to partition " : "the credit leg to partition ") +
                      std::to_string(g.destination.value) + " is unanswered";
      op.first_attempt = g.started;
      out->push_back(std::move(op));
    }
  }
  return r;
}

std::vector<StuckOperation> Node::stuck(size_t limit) const {
  std::vector<StuckOperation> out = scheduler_->stuck(limit);
  for (StuckOperation& op : relay_->stuck(limit - std::min(limit, out.size()))) {
    out.push_back(std::move(op));
  }
  (void)saga_report(limit, &out);
  return out;
}

HealthReport Node::health() {
  HealthReport r;
  for (const PartitionStatus& s : status()) {
    ComponentHealth c;
    c.name = "pipeline/" + std::to_string(s.partition.value);
    c.critical = true;
    if (!s.error.ok()) {
      c.ok = false;
      c.detail = s.error.to_string();
    } else if (!s.transient.ok()) {
      c.critical = false;  // retrying: the log is unreachable, queries still work
      c.ok = false;
      c.detail = "retrying: " + s.transient.to_string();
    } else {
      c.detail = "applied through offset " + std::to_string(s.applied.value) + " of " +
                 (s.log_end_known ? std::to_string(s.log_end.value) : "unknown (the log does not answer)");
    }
    r.components.push_back(std::move(c));
  }
  r.components.push_back(log_health());
  r.components.push_back(scheduler_health());
  r.components.push_back(relay_health());
  r.components.push_back(saga_health());
  r.components.push_back(ownership_health());
  r.status = "ok";
  for (const ComponentHealth& c : r.components) {
    if (!c.ok && c.critical) r.status = "down";
    if (!c.ok && !c.critical && r.status == "ok") r.status = "degraded";
  }
  return r;
}

std::string Node::metrics_text() {
  std::string out;
  out += "# HELP tally_applied_offset Next offset to apply, per partition.\n";
  out += "# TYPE tally_applied_offset gauge\n";
  const std::vector<PartitionStatus> st = status();
  for (const PartitionStatus& s : st) {
    out += "tally_applied_offset{partition=\"" + std::to_string(s.partition.value) + "\"} " +
           std::to_string(s.applied.value) + "\n";
  }
  // While the log does not answer the lag is unknown: its sample is left
  // out (not 0) and tally_lag_unknown says so.
  out += "# HELP tally_lag_records Records appended but not yet applied, per partition (absent while unknown).\n";
  out += "# TYPE tally_lag_records gauge\n";
  for (const PartitionStatus& s : st) {
    if (!s.log_end_known) continue;
    const uint64_t lag = s.log_end.value > s.applied.value ? s.log_end.value - s.applied.value : 0;
    out += "tally_lag_records{partition=\"" + std::to_string(s.partition.value) + "\"} " +
           std::to_string(lag) + "\n";
  }
  out += "# HELP tally_lag_unknown 1 while the partition's end offset cannot be read (its lag is unknown).\n";
  out += "# TYPE tally_lag_unknown gauge\n";
  for (const PartitionStatus& s : st) {
    out += "tally_lag_unknown{partition=\"" + std::to_string(s.partition.value) + "\"} " +
           (s.log_end_known ? "0" : "1") + "\n";
  }
  out += "# HELP tally_commands_total Commands applied, by outcome.\n";
  out += "# TYPE tally_commands_total counter\n";
  for (uint16_t o = 0; o < 128; o++) {
    uint64_t total = 0;
    for (const auto& p : pipelines_) total += p->metrics().outcomes[o].load();
    if (total == 0 || !outcome_known(o)) continue;
    out += "tally_commands_total{outcome=\"" + std::string(outcome_name(static_cast<Outcome>(o))) +
           "\"} " + std::to_string(total) + "\n";
  }
  out += "# HELP tally_records_quarantined_total Records that failed verification.\n";
  out += "# TYPE tally_records_quarantined_total counter\n";
  for (const auto& p : pipelines_) {
    out += "tally_records_quarantined_total{partition=\"" + std::to_string(p->partition().value) +
           "\"} " + std::to_string(p->metrics().records_quarantined.load()) + "\n";
  }
  out += recovery_metrics_text();
  out += ownership_metrics_text();
  out += "# HELP tally_apply_seconds Time to apply and commit one record.\n";
  out += "# TYPE tally_apply_seconds histogram\n";
  for (const auto& p : pipelines_) {
    out += p->metrics().apply_latency.prometheus(
        "tally_apply_seconds", "partition=\"" + std::to_string(p->partition().value) + "\"");
  }
  return out;
}

namespace {
void metric(std::string& out, const char* name, const char* type, const char* help, uint64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
  out += std::string(name) + " " + std::to_string(value) + "\n";
}
}  // namespace

std::string Node::recovery_metrics_text() {
  const SagaReport sagas = saga_report(0, nullptr);
  const SchedulerStats sc = scheduler_->stats();
  const RelayStats re = relay_->stats();
  const BreakerSnapshot b = log_->snapshot();
  std::string out;
  metric(out, "tally_timers_due", "gauge", "Due timers whose command is appended or waiting to be re-driven.",
         sc.timers_due);
  metric(out, "tally_expiries_appended_total", "counter", "Expire commands the scheduler appended (re-appends included).",
         sc.expiries_appended);
  metric(out, "tally_saga_timeouts_appended_total", "counter", "Saga timeout commands the scheduler appended.",
         sc.saga_timeouts_appended);
  metric(out, "tally_scheduler_keys_visited_total", "counter", "Timer index keys the scheduler's scans read.",
         sc.keys_visited);
  metric(out, "tally_saga_deadlines_held_total", "counter",
         "Looks at an overdue saga deadline that found its messages only queued, so nothing was re-sent.",
         sc.saga_deadlines_held);
  metric(out, "tally_in_flight_commands", "gauge",
         "Commands in flight in the node: appended by its writers and not yet applied, outbox entries included.",
         in_flight_->count());
  metric(out, "tally_admission_window", "gauge", "Commands in flight above which producers wait (0: off).",
         in_flight_->window());
  metric(out, "tally_admission_refused_total", "counter",
         "Appends refused because the node stayed full until their deadline (HTTP 429).",
         in_flight_->refused_total());
  metric(out, "tally_outbox_pending", "gauge", "Outbox entries not yet relayed.", re.pending);
  metric(out, "tally_outbox_relayed_total", "counter", "Outbox entries appended to the log and removed.",
         re.relayed);
  metric(out, "tally_stuck_operations", "gauge", "Operations re-driven the bounded number of times without success.",
         sc.stuck + re.stuck + sagas.stuck);
  out += "# HELP tally_sagas_in_flight Sagas started in the partition (their source) and not yet settled.\n";
  out += "# TYPE tally_sagas_in_flight gauge\n";
  for (size_t p = 0; p < sagas.partitions.size(); p++) {
    if (!owns(Partition{static_cast<uint32_t>(p)})) continue;
    out += "tally_sagas_in_flight{partition=\"" + std::to_string(p) + "\"} " +
           std::to_string(sagas.partitions[p].in_flight) + "\n";
  }
  metric(out, "tally_sagas_stuck", "gauge", "Sagas still in flight after the coordinator's bounded sends.",
         sagas.stuck);
  metric(out, "tally_breaker_state", "gauge", "The log circuit breaker: 0 closed, 1 open, 2 half-open.",
         static_cast<uint64_t>(b.state));
  metric(out, "tally_breaker_transitions_total", "counter", "Circuit breaker state changes.", b.transitions);
  metric(out, "tally_breaker_rejected_total", "counter", "Appends refused while the breaker was open.", b.rejected);
  return out;
}

}  // namespace tally
