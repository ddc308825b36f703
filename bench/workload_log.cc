#include "bench/workload_log.h"

#include <memory>
#include <vector>

#include "engine/core/codec.h"
#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"

namespace tally::bench {
namespace {

constexpr size_t kRecordsPerAppend = 32;

// Encodes commands per partition into records and appends them in groups.
class Packer {
 public:
  Packer(Log& log, size_t batch) : log_(log), batch_(batch), pending_(log.partition_count()) {}

  Status add(const Command& c) {
    const uint32_t p = partition_of(routing_account(c), log_.partition_count()).value;
    pending_[p].push_back(c);
    stats_.commands++;
    if (pending_[p].size() == batch_) return seal(p);
    return Status::Ok();
  }
  Status finish() {
    for (uint32_t p = 0; p < pending_.size(); p++) {
      if (!pending_[p].empty()) TALLY_RETURN_IF_ERROR(seal(p));
    }
    return append();
  }
  const WorkloadLogStats& stats() const { return stats_; }

 private:
  Status seal(uint32_t p) {
    sealed_.push_back({Partition{p}, encode_batch(pending_[p])});
    pending_[p].clear();
    if (sealed_.size() == kRecordsPerAppend) return append();
    return Status::Ok();
  }
  Status append() {
    std::vector<AppendRequest> requests;
    for (const auto& [p, value] : sealed_) requests.push_back({p, {}, value});
    if (!requests.empty()) TALLY_RETURN_IF_ERROR(log_.append(requests).status());
    stats_.records += sealed_.size();
    sealed_.clear();
    return Status::Ok();
  }

  Log& log_;
  const size_t batch_;
  std::vector<std::vector<Command>> pending_;
  std::vector<std::pair<Partition, std::vector<uint8_t>>> sealed_;
  WorkloadLogStats stats_;
};

}  // namespace

Result<WorkloadLogStats> write_workload_log(const std::string& log_dir, const Workload& workload,
                                            uint32_t partitions, size_t batch) {
  // Not fsync'd per append: this prepares a benchmark's input, and the log
  // is closed (and its WAL written out) before anything reads it.
  TALLY_ASSIGN_OR_RETURN(std::unique_ptr<Log> log,
                         open_embedded_log({.dir = log_dir, .partitions = partitions, .sync = false}));
  Packer packer(*log, batch);
  for (uint64_t i = 0; i < workload.account_count(); i++) {
    TALLY_RETURN_IF_ERROR(packer.add(workload.account(i)));
  }
  // Accounts first: their records must precede every transfer's.
  TALLY_RETURN_IF_ERROR(packer.finish());
  for (uint64_t i = 1; i <= workload.options().transfers; i++) {
    TALLY_RETURN_IF_ERROR(packer.add(workload.transfer(i)));
  }
  TALLY_RETURN_IF_ERROR(packer.finish());
  const WorkloadLogStats stats = packer.stats();
  log.reset();
  // Opening it once more moves what is left in the WAL into table files, as
  // a long-running writer's flushes would: a reader then does not spend its
  // open replaying the WAL.
  TALLY_RETURN_IF_ERROR(open_embedded_log({.dir = log_dir}).status());
  return stats;
}

}  // namespace tally::bench
