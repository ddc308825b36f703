#include "engine/http/store_backend.h"

#include <filesystem>

#include "engine/core/partitioner.h"

namespace tally::http {

namespace fs = std::filesystem;

namespace {

// The number of partition stores under `base` (directories 0 .. N-1), or 0.
uint32_t count_partitions(const fs::path& base) {
  uint32_t n = 0;
  std::error_code ec;
  while (fs::is_directory(base / std::to_string(n), ec)) n++;
  return n;
}

}  // namespace

Result<std::unique_ptr<StoreBackend>> StoreBackend::open(const std::string& data_dir) {
  const fs::path base = fs::path(data_dir) / "partitions";
  const uint32_t n = count_partitions(base);
  if (n == 0) {
    return Status::NotFound("no projection under " + base.string() +
                            " (has tally serve or tally produce run with --data " + data_dir + "?)");
  }
  std::unique_ptr<StoreBackend> b(new StoreBackend());
  for (uint32_t p = 0; p < n; p++) {
    StoreOptions so;
    so.dir = (base / std::to_string(p)).string();
    so.partition = Partition{p};
    so.partition_count = n;
    so.create_if_missing = false;
    so.read_only = true;
    TALLY_ASSIGN_OR_RETURN(auto store, PartitionStore::open(so));
    b->stores_.push_back(std::move(store));
  }
  return b;
}

std::vector<const PartitionStore*> StoreBackend::readers() const {
  std::vector<const PartitionStore*> out;
  for (const auto& s : stores_) out.push_back(s.get());
  return out;
}

const PartitionStore& StoreBackend::store_of(AccountId id) const {
  return *stores_[partition_of(id, partition_count()).value];
}

Result<std::vector<Placement>> StoreBackend::append(std::span<const Command>, Log::Deadline) {
  return Status::FailedPrecondition("the stores are open read-only; append through tally serve");
}

Result<bool> StoreBackend::wait_applied(Partition p, Offset o, std::chrono::milliseconds) {
  TALLY_ASSIGN_OR_RETURN(PartitionMeta m, stores_.at(p.value)->meta());
  return o < m.next_offset;
}

Result<Offset> StoreBackend::known_end(Partition p) {
  TALLY_ASSIGN_OR_RETURN(PartitionMeta m, stores_.at(p.value)->meta());
  return m.next_offset;
}

Result<std::optional<Account>> StoreBackend::account(AccountId id) { return store_of(id).account(id); }

Result<std::optional<Transfer>> StoreBackend::transfer(TransferId id) {
  return find_transfer(readers(), id);
}

Result<std::vector<Partition>> StoreBackend::transfer_partitions(TransferId id) {
  return tally::transfer_partitions(readers(), id);
}

Result<HistoryPage> StoreBackend::history(const HistoryQuery& query) {
  return account_history(store_of(query.account), query);
}

Result<Balances> StoreBackend::balance_at(AccountId id, Timestamp at) {
  return tally::balance_at(store_of(id), id, at);
}

Result<std::vector<Transfer>> StoreBackend::pending(Partition p, size_t limit,
                                                    std::optional<TransferId> after) {
  return pending_transfers(*stores_.at(p.value), limit, after);
}

Result<ListPage<Account>> StoreBackend::list_accounts(Partition p, const ListFilter& filter, size_t limit,
                                                      std::optional<Timestamp> after) {
  return tally::list_accounts(*stores_.at(p.value), filter, limit, after);
}

Result<ListPage<Transfer>> StoreBackend::list_transfers(Partition p, const TransferFilter& filter,
                                                        size_t limit, std::optional<Timestamp> after) {
  return tally::list_transfers(*stores_.at(p.value), filter, limit, after);
}

Result<std::optional<OffsetOutcomes>> StoreBackend::outcomes(Partition p, Offset o) {
  return stores_.at(p.value)->outcomes(o);
}

Result<std::optional<QuarantinedRecord>> StoreBackend::quarantined(Partition p, Offset o) {
  return quarantined_at(*stores_.at(p.value), o);
}

Result<std::optional<SagaStatus>> StoreBackend::saga(TransferId id) {
  return find_saga(readers(), id);
}

Result<std::vector<Account>> StoreBackend::transit(Partition p) {
  return transit_accounts(*stores_.at(p.value));
}

HealthReport StoreBackend::health() {
  HealthReport r{.status = "ok"};
  for (const auto& s : stores_) {
    ComponentHealth c{.name = "store/" + std::to_string(s->options().partition.value)};
    auto m = s->meta();
    c.ok = m.ok();
    c.detail = m.ok() ? "read-only, applied through offset " + std::to_string(m->next_offset.value)
                      : m.status().to_string();
    if (!c.ok) r.status = "down";
    r.components.push_back(std::move(c));
  }
  return r;
}

}  // namespace tally::http
