// StoreBackend: the API's backend over a data directory's projection stores,
// opened read-only (`tally query --data DIR`). It needs no log and no
// running node, and takes no lock, so it also opens beside a running
// `tally serve`, but then sees only what that process has flushed to disk
// (RocksDB's read-only mode does not see the writer's memtables).
// Writes are refused with failed_precondition.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/http/backend.h"
#include "projections/store.h"

namespace tally::http {

class StoreBackend final : public Backend {
 public:
  // Opens DATA/partitions/0 .. N-1 read-only. not_found when there is no
  // projection under `data_dir`.
  static Result<std::unique_ptr<StoreBackend>> open(const std::string& data_dir);

  uint32_t partition_count() const override { return static_cast<uint32_t>(stores_.size()); }
  Result<std::vector<Placement>> append(std::span<const Command> commands, Log::Deadline) override;
  Result<bool> wait_applied(Partition p, Offset o, std::chrono::milliseconds wait) override;
  Result<Offset> known_end(Partition p) override;
  Result<std::optional<Account>> account(AccountId id) override;
  Result<std::optional<Transfer>> transfer(TransferId id) override;
  Result<std::vector<Partition>> transfer_partitions(TransferId id) override;
  Result<HistoryPage> history(const HistoryQuery& query) override;
  Result<Balances> balance_at(AccountId id, Timestamp at) override;
  Result<std::vector<Transfer>> pending(Partition p, size_t limit,
                                        std::optional<TransferId> after) override;
  Result<ListPage<Account>> list_accounts(Partition p, const ListFilter& filter, size_t limit,
                                          std::optional<Timestamp> after) override;
  Result<ListPage<Transfer>> list_transfers(Partition p, const TransferFilter& filter, size_t limit,
                                            std::optional<Timestamp> after) override;
  Result<std::optional<OffsetOutcomes>> outcomes(Partition p, Offset o) override;
  Result<std::optional<QuarantinedRecord>> quarantined(Partition p, Offset o) override;
  Result<std::optional<SagaStatus>> saga(TransferId id) override;
  Result<std::vector<Account>> transit(Partition p) override;
  HealthReport health() override;
  std::string metrics_text() override { return ""; }

 private:
  StoreBackend() = default;
  const PartitionStore& store_of(AccountId id) const;
  std::vector<const PartitionStore*> readers() const;  // partition p's store at p

  std::vector<std::unique_ptr<PartitionStore>> stores_;
};

}  // namespace tally::http
