// Encoding and decoding of log records (one FlatBuffers `Batch` each).
//
// decode_batch is the only way bytes from a log become commands: it runs the
// FlatBuffers verifier first, then checks the batch's own rules (identifier,
// known kinds, vector lengths that match the kinds, the size limits), and
// names the first problem it finds. Thread-safe: no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/tally_limits.h"
#include "engine/core/status.h"

namespace tally {

// At most this many commands in one record, and this many bytes
// (engine/core/tally_limits.h, where their relations are checked).
inline constexpr size_t kMaxBatchCommands = limits::kMaxBatchCommands;
inline constexpr size_t kMaxRecordBytes = limits::kMaxRecordBytes;

// Builds one record. Not thread-safe; reusable after finish().
class BatchBuilder {
 public:
  BatchBuilder();
  ~BatchBuilder();
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;

  void add(const Command& command);
  void add(const CreateTransfer& transfer);
  size_t size() const;
  bool empty() const { return size() == 0; }
  // The encoded record; the builder is empty afterwards.
  // REQUIRES: size() <= kMaxBatchCommands.
  std::vector<uint8_t> finish();

 private:
  struct Parts;
  Parts* parts_;
};

std::vector<uint8_t> encode_batch(std::span<const Command> commands);

// The commands of a record, or corruption naming the reason.
Result<std::vector<Command>> decode_batch(std::span<const uint8_t> record);
// The same into `out` (cleared first, its capacity reused; empty on error).
Status decode_batch_into(std::span<const uint8_t> record, std::vector<Command>& out);

}  // namespace tally
