#include "engine/log/log.h"

namespace tally {

Result<Offset> Log::append_one(Partition partition, std::span<const uint8_t> value,
                               std::span<const uint8_t> key) {
  AppendRequest request{partition, key, value};
  TALLY_ASSIGN_OR_RETURN(std::vector<Offset> offsets, append(std::span(&request, 1)));
  return offsets.at(0);
}

Result<std::vector<Offset>> Log::append_by(std::span<const AppendRequest> records, Deadline) {
  return append(records);
}

Status Log::checkpoint(const std::string& dir) {
  return Status::FailedPrecondition(describe() + " is not kept on this machine; nothing copied to " + dir);
}

Status check_partition(const Log& log, Partition partition) {
  if (partition.value < log.partition_count()) return Status::Ok();
  return Status::InvalidArgument("partition " + std::to_string(partition.value) + " does not exist; " +
                                 log.describe() + " has " + std::to_string(log.partition_count()) +
                                 " partitions");
}

Status check_append(const Log& log, std::span<const AppendRequest> records) {
  for (const AppendRequest& r : records) {
    TALLY_RETURN_IF_ERROR(check_partition(log, r.partition));
    if (r.key.size() > kMaxKeyBytes) {
      return Status::InvalidArgument("record key of " + std::to_string(r.key.size()) +
                                     " bytes is over the limit of " + std::to_string(kMaxKeyBytes));
    }
    if (r.value.size() > log.max_record_bytes()) {
      return Status::InvalidArgument("record of " + std::to_string(r.value.size()) +
                                     " bytes is over the limit of " +
                                     std::to_string(log.max_record_bytes()) + " bytes");
    }
  }
  return Status::Ok();
}

}  // namespace tally
