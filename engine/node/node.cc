#include "engine/node/node.h"

#include <filesystem>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"

namespace tally {

Node::Node(std::unique_ptr<Log> log, NodeOptions options)
    : log_(std::move(log)), options_(std::move(options)) {}

Node::~Node() { stop(); }

Result<std::unique_ptr<Node>> Node::open(std::unique_ptr<Log> log, NodeOptions options) {
  std::unique_ptr<Node> node(new Node(std::move(log), std::move(options)));
  const uint32_t n = node->log_->partition_count();
  std::error_code ec;
  const std::string base = node->options_.data_dir + "/partitions";
  std::filesystem::create_directories(base, ec);
  if (ec) return Status::IoError("creating " + base + ": " + ec.message());
  for (uint32_t p = 0; p < n; p++) {
    StoreOptions so;
    so.dir = base + "/" + std::to_string(p);
    so.partition = Partition{p};
    so.partition_count = n;
    TALLY_ASSIGN_OR_RETURN(auto store, PartitionStore::open(so));
    node->stores_.push_back(std::move(store));
  }
  for (uint32_t p = 0; p < n; p++) {
    node->pipelines_.push_back(std::make_unique<PartitionPipeline>(
        Partition{p}, *node->log_, *node->stores_[p], &node->sagas_, node->options_.pipeline));
  }
  return node;
}

Status Node::start() {
  for (auto& p : pipelines_) {
    TALLY_RETURN_IF_ERROR(p->recover().with_context("recovering partition " +
                                                    std::to_string(p->partition().value)));
  }
  for (auto& p : pipelines_) {
    threads_.emplace_back([pipeline = p.get()](std::stop_token stop) { pipeline->run(stop); });
  }
  return Status::Ok();
}

void Node::stop() {
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

Partition Node::partition_of_account(AccountId id) const {
  return partition_of(id, partition_count());
}

Result<std::vector<Placement>> Node::append(std::span<const Command> commands) {
  const uint32_t n = partition_count();
  std::vector<std::vector<uint32_t>> by_partition(n);
  for (uint32_t i = 0; i < commands.size(); i++) {
    by_partition[partition_of(routing_account(commands[i]), n).value].push_back(i);
  }
  std::vector<std::vector<uint8_t>> values;
  std::vector<RoutingKey> keys;
  std::vector<std::pair<uint32_t, std::pair<size_t, size_t>>> spans;  // partition, [start,end)
  BatchBuilder builder;
  for (uint32_t p = 0; p < n; p++) {
    const auto& idx = by_partition[p];
    for (size_t start = 0; start < idx.size(); start += kMaxBatchCommands) {
      const size_t end = std::min(idx.size(), start + kMaxBatchCommands);
      for (size_t k = start; k < end; k++) builder.add(commands[idx[k]]);
      values.push_back(builder.finish());
      keys.push_back(routing_key(routing_account(commands[idx[start]])));
      spans.push_back({p, {start, end}});
    }
  }
  std::vector<AppendRequest> requests;
  for (size_t r = 0; r < values.size(); r++) {
    requests.push_back({Partition{spans[r].first},
                        std::span(reinterpret_cast<const uint8_t*>(keys[r].bytes), 8), values[r]});
  }
  TALLY_ASSIGN_OR_RETURN(std::vector<Offset> offsets, log_->append(requests));
  std::vector<Placement> out(commands.size());
  for (size_t r = 0; r < spans.size(); r++) {
    const auto& [p, range] = spans[r];
    for (size_t k = range.first; k < range.second; k++) {
      out[by_partition[p][k]] = Placement{Partition{p}, offsets[r], static_cast<uint32_t>(k - range.first)};
    }
  }
  return out;
}

bool Node::wait_applied(Partition partition, Offset offset, std::chrono::milliseconds timeout) {
  return pipelines_.at(partition.value)->wait_applied(offset, timeout);
}

Result<Outcome> Node::outcome(const Placement& placement, std::chrono::milliseconds timeout) {
  PartitionPipeline& p = *pipelines_.at(placement.partition.value);
  if (!p.wait_applied(placement.offset, timeout)) {
    if (!p.status().ok()) return p.status();
    return Status::Timeout("partition " + std::to_string(placement.partition.value) + " offset " +
                           std::to_string(placement.offset.value) + " was not applied within " +
                           std::to_string(timeout.count()) + " ms");
  }
  TALLY_ASSIGN_OR_RETURN(std::optional<OffsetOutcomes> o,
                         stores_[placement.partition.value]->outcomes(placement.offset));
  if (!o) {
    return Status::NotFound("partition " + std::to_string(placement.partition.value) + " offset " +
                            std::to_string(placement.offset.value) +
                            " has no outcomes (the record was quarantined)");
  }
  if (placement.index >= o->outcomes.size()) {
    return Status::NotFound("record has " + std::to_string(o->outcomes.size()) +
                            " commands; index " + std::to_string(placement.index) + " is past them");
  }
  return o->outcomes[placement.index];
}

Status Node::wait_caught_up(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (uint32_t p = 0; p < partition_count(); p++) {
    TALLY_ASSIGN_OR_RETURN(Offset end, log_->end_offset(Partition{p}));
    if (end.value == 0) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!wait_applied(Partition{p}, Offset{end.value - 1}, std::max(left, std::chrono::milliseconds(0)))) {
      const Status s = pipelines_[p]->status();
      if (!s.ok()) return s;
      return Status::Timeout("partition " + std::to_string(p) + " did not catch up to offset " +
                             std::to_string(end.value) + " in time");
    }
  }
  return Status::Ok();
}

Result<std::optional<Account>> Node::account(AccountId id) const {
  return stores_[partition_of_account(id).value]->account(id);
}

Result<std::optional<Transfer>> Node::transfer(TransferId id) const {
  for (const auto& store : stores_) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store->transfer(id));
    if (t && t->kind != TransferKind::saga_credit) return t;
  }
  return std::optional<Transfer>();
}

Result<HistoryPage> Node::history(const HistoryQuery& query) const {
  return account_history(*stores_[partition_of_account(query.account).value], query);
}

Result<Balances> Node::balance_at(AccountId id, Timestamp at) const {
  return tally::balance_at(*stores_[partition_of_account(id).value], id, at);
}

std::vector<PartitionStatus> Node::status() {
  std::vector<PartitionStatus> out;
  for (uint32_t p = 0; p < partition_count(); p++) {
    PartitionStatus s;
    s.partition = Partition{p};
    s.applied = pipelines_[p]->applied();
    auto end = log_->end_offset(Partition{p});
    s.log_end = end.ok() ? *end : s.applied;
    s.digest = pipelines_[p]->digest();
    s.error = pipelines_[p]->status();
    s.transient = pipelines_[p]->last_transient_error();
    out.push_back(s);
  }
  return out;
}

}  // namespace tally

namespace tally {

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
  out += "# HELP tally_apply_seconds Time to apply and commit one record.\n";
  out += "# TYPE tally_apply_seconds histogram\n";
  for (const auto& p : pipelines_) {
    out += p->metrics().apply_latency.prometheus(
        "tally_apply_seconds", "partition=\"" + std::to_string(p->partition().value) + "\"");
  }
  return out;
}

}  // namespace tally
