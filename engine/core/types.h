// Strong types for the ledger's vocabulary: ids, amounts, partitions,
// offsets and timestamps. Each is a distinct type so that a partition cannot
// be passed where an offset is expected. All are trivially copyable values.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "engine/core/u128.h"

namespace tally {

// A 128-bit identifier. 0 and 2^128 - 1 are reserved and never valid.
template <class Tag>
class Id {
 public:
  constexpr Id() = default;
  constexpr explicit Id(u128 v) : v_(v) {}
  constexpr u128 value() const { return v_; }
  constexpr uint64_t hi() const { return u128_hi(v_); }
  constexpr uint64_t lo() const { return u128_lo(v_); }
  constexpr bool is_zero() const { return v_ == 0; }
  constexpr bool is_max() const { return v_ == kU128Max; }
  constexpr bool valid() const { return !is_zero() && !is_max(); }
  constexpr auto operator<=>(const Id&) const = default;
  std::string str() const { return u128_to_string(v_); }

 private:
  u128 v_ = 0;
};

struct AccountTag {};
struct TransferTag {};
using AccountId = Id<AccountTag>;
using TransferId = Id<TransferTag>;

// An amount of a ledger's unit. Arithmetic is checked by the callers that
// need it (projections); this type only prevents mixing amounts with ids.
class Amount {
 public:
  constexpr Amount() = default;
  constexpr explicit Amount(u128 v) : v_(v) {}
  constexpr u128 value() const { return v_; }
  constexpr auto operator<=>(const Amount&) const = default;
  std::string str() const { return u128_to_string(v_); }

 private:
  u128 v_ = 0;
};

// A partition of the command log, 0 <= value < partition count.
struct Partition {
  uint32_t value = 0;
  constexpr auto operator<=>(const Partition&) const = default;
};

// The position of a record within its partition; the first record is 0.
struct Offset {
  uint64_t value = 0;
  constexpr auto operator<=>(const Offset&) const = default;
  constexpr Offset next() const { return Offset{value + 1}; }
};

// The ledger's clock: nanoseconds since the Unix epoch, strictly increasing
// per partition (see docs/design.md "The log").
struct Timestamp {
  uint64_t ns = 0;
  constexpr auto operator<=>(const Timestamp&) const = default;
};

using Ledger = uint32_t;
using Code = uint16_t;

}  // namespace tally

template <class Tag>
struct std::hash<tally::Id<Tag>> {
  size_t operator()(const tally::Id<Tag>& id) const noexcept {
    // A strong 64-bit mix of both halves (ids are often sequential).
    uint64_t x = id.lo() ^ (id.hi() * 0x9E3779B97F4A7C15ull);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return static_cast<size_t>(x);
  }
};
