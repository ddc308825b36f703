// Node: health, metrics and stuck operations (what /health, /metrics and
// GET /v1/stuck show).
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
  const BreakerSnapshot b = log_->snapshot();
  if (b.state != BreakerState::closed) {
    c.ok = false;
    c.detail = log_->describe() + ": " + log_->describe_breaker() +
               "; appends fail fast, queries keep working";
    return c;
  }
  {
    std::lock_guard lock(startup_mu_);
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
  const uint64_t sagas = stuck_sagas(0, nullptr);
  const std::string counts = plural(s.timers_due, "timer due", "timers due") + ", " +
                             std::to_string(s.awaiting_apply) + " awaiting apply, " +
                             std::to_string(s.stuck) + " stuck";
  if (!options_.run_scheduler) {
    c.detail = "not running (turned off)";
  } else if (s.stuck > 0 || sagas > 0) {
    c.ok = false;
    c.detail = (s.stuck > 0 ? plural(s.stuck, "timer is", "timers are") + " stuck" : std::string()) +
               (s.stuck > 0 && sagas > 0 ? ", " : "") +
               (sagas > 0 ? plural(sagas, "saga is", "sagas are") + " stuck in flight" : std::string()) +
               " (see GET /v1/stuck); " + counts;
  } else if (!s.error.ok()) {
    c.ok = false;
    c.detail = "retrying after: " + s.error.to_string() + "; " + counts;
  } else {
    c.detail = counts;
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

// Sagas still in flight after SagaSchedule::kStuckAttempts sends (their
// re-drive is the coordinator's, in log time; see recovery/sagas.h). Reads
// the in-flight index of each partition, at most kMaxSagaScan keys each.
uint64_t Node::stuck_sagas(size_t limit, std::vector<StuckOperation>* out) const {
  constexpr size_t kMaxSagaScan = 100'000;
  uint64_t count = 0;
  for (uint32_t p = 0; p < partition_count(); p++) {
    if (!owns(Partition{p})) continue;
    const std::shared_ptr<const PartitionStore> store = store_ref(Partition{p});
    std::vector<TransferId> ids;
    (void)store->scan("F", "G", false, kMaxSagaScan, [&](std::string_view key, std::string_view) {
      if (key.size() == 17) ids.push_back(TransferId(get_be128(key.data() + 1)));
      return true;
    });
    for (TransferId id : ids) {
      auto saga = store->saga(id);
      if (!saga.ok() || !saga->has_value() || !saga_stuck(**saga)) continue;
      count++;
      if (out == nullptr || out->size() >= limit) continue;
      const Saga& g = **saga;
      StuckOperation op;
      op.kind = "saga";
      op.partition = g.source;
      op.id = id.value();
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
  return count;
}

std::vector<StuckOperation> Node::stuck(size_t limit) const {
  std::vector<StuckOperation> out = scheduler_->stuck(limit);
  for (StuckOperation& op : relay_->stuck(limit - std::min(limit, out.size()))) {
    out.push_back(std::move(op));
  }
  (void)stuck_sagas(limit, &out);
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
                 std::to_string(s.log_end.value);
    }
    r.components.push_back(std::move(c));
  }
  r.components.push_back(log_health());
  r.components.push_back(scheduler_health());
  r.components.push_back(relay_health());
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
  out += "# HELP tally_lag_records Records appended but not yet applied, per partition.\n";
  out += "# TYPE tally_lag_records gauge\n";
  for (const PartitionStatus& s : st) {
    const uint64_t lag = s.log_end.value > s.applied.value ? s.log_end.value - s.applied.value : 0;
    out += "tally_lag_records{partition=\"" + std::to_string(s.partition.value) + "\"} " +
           std::to_string(lag) + "\n";
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
  metric(out, "tally_outbox_pending", "gauge", "Outbox entries not yet relayed.", re.pending);
  metric(out, "tally_outbox_relayed_total", "counter", "Outbox entries appended to the log and removed.",
         re.relayed);
  metric(out, "tally_stuck_operations", "gauge", "Operations re-driven the bounded number of times without success.",
         sc.stuck + re.stuck + stuck_sagas(0, nullptr));
  metric(out, "tally_breaker_state", "gauge", "The log circuit breaker: 0 closed, 1 open, 2 half-open.",
         static_cast<uint64_t>(b.state));
  metric(out, "tally_breaker_transitions_total", "counter", "Circuit breaker state changes.", b.transitions);
  metric(out, "tally_breaker_rejected_total", "counter", "Appends refused while the breaker was open.", b.rejected);
  return out;
}

}  // namespace tally
