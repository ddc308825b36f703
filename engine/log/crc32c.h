// CRC-32C (Castagnoli), the checksum of the segment log's frames
// (engine/log/segment_format.h). Uses the SSE4.2 crc32 instruction where the
// CPU has it (checked once, at first use), a table otherwise; both give the
// same value. Thread-safe: no mutable shared state after the first call.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tally {

// The CRC-32C of `n` bytes at `data`, continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

}  // namespace tally
