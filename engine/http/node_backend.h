// NodeBackend: the API's backend over a running Node (`tally serve`).
// REQUIRES: the node outlives the backend and is started.
#pragma once

#include "engine/http/backend.h"

namespace tally::http {

class NodeBackend final : public Backend {
 public:
  explicit NodeBackend(Node& node) : node_(node) {}

  uint32_t partition_count() const override { return node_.partition_count(); }
  Result<std::vector<Placement>> append(std::span<const Command> commands) override;
  Result<bool> wait_applied(Partition p, Offset o, std::chrono::milliseconds wait) override;
  Result<Offset> known_end(Partition p) override;
  Result<std::optional<Account>> account(AccountId id) override;
  Result<std::optional<Transfer>> transfer(TransferId id) override;
  Result<HistoryPage> history(const HistoryQuery& query) override;
  Result<Balances> balance_at(AccountId id, Timestamp at) override;
  Result<std::vector<Transfer>> pending(Partition p, size_t limit,
                                        std::optional<TransferId> after) override;
  Result<std::optional<OffsetOutcomes>> outcomes(Partition p, Offset o) override;
  Result<std::optional<QuarantinedRecord>> quarantined(Partition p, Offset o) override;
  HealthReport health() override { return node_.health(); }
  std::string metrics_text() override { return node_.metrics_text(); }
  Result<std::vector<StuckOperation>> stuck(size_t limit) override { return node_.stuck(limit); }

 private:
  Node& node_;
};

}  // namespace tally::http
