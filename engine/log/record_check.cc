#include "engine/log/record_check.h"

#include "engine/core/codec.h"

namespace tally {

std::string record_place(Partition partition, Offset offset) {
  return "partition " + std::to_string(partition.value) + " offset " +
         std::to_string(offset.value);
}

Result<std::vector<Command>> decode_record(const LogRecord& record) {
  auto commands = decode_batch(record.value);
  if (!commands.ok()) {
    return commands.status().with_context(record_place(record.partition, record.offset));
  }
  return commands;
}

}  // namespace tally
