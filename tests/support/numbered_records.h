// Test support: records whose bytes follow from two numbers, so a test can
// recognise any record it reads back and recompute exactly what it must be.
//
// numbered_record(writer, seq) is a Batch of 1..2,000 transfers (the count
// follows from the numbers, so records differ in size); transfer i has id
// hi = writer + 1, lo = seq * 8192 + i + 1. Its key is the routing key of
// the first transfer's debit account.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tally::test {

struct RecordNumber {
  uint32_t writer;
  uint64_t seq;
  bool operator==(const RecordNumber&) const = default;
};

std::vector<uint8_t> numbered_record(RecordNumber n);
std::vector<uint8_t> numbered_key(RecordNumber n);

// The numbers of a record made by numbered_record, or nullopt when the bytes
// do not decode or are not such a record (then nothing can be said of them).
std::optional<RecordNumber> record_number(std::span<const uint8_t> record);

}  // namespace tally::test
