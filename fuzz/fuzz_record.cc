// Fuzz target: a log record as read from any log (Kafka, the embedded log)
// through decode_record, the FlatBuffers verifier and the batch's rules.
// Properties: never crashes; a failure is corruption naming the record's
// place; what decodes encodes again to a record that decodes to the same
// commands (nothing read is silently changed).
#include <cstdint>
#include <cstdlib>

#include "engine/core/codec.h"
#include "engine/log/record_check.h"

using namespace tally;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  LogRecord record{Partition{3}, Offset{17}, Timestamp{0}, {}, std::vector<uint8_t>(data, data + size)};
  Result<std::vector<Command>> commands = decode_record(record);
  if (!commands.ok()) {
    if (commands.status().code() != StatusCode::corruption) std::abort();
    if (commands.status().message().rfind("partition 3 offset 17: ", 0) != 0) std::abort();
    return 0;
  }
  const std::vector<uint8_t> again = encode_batch(*commands);
  Result<std::vector<Command>> round = decode_batch(again);
  if (!round.ok() || *round != *commands) std::abort();
  return 0;
}
