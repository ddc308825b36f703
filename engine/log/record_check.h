// Turning a record read from a log into commands, with the record's place in
// the error: the one step between a LogReader and anything that applies.
//
// decode_record runs decode_batch (the FlatBuffers verifier, then the
// batch's own rules) and, on failure, prefixes the reason with where the
// record lives: "partition 3 offset 17: record lacks the file identifier
// ...". The status code stays corruption, so a pipeline can quarantine the
// record (report it, skip it, never apply it) without parsing the message.
// Thread-safe: no shared state.
#pragma once

#include <string>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "engine/log/log.h"

namespace tally {

// "partition P offset O", for messages about one record.
std::string record_place(Partition partition, Offset offset);

// The commands of `record`, or corruption "partition P offset O: <reason>".
Result<std::vector<Command>> decode_record(const LogRecord& record);

}  // namespace tally
