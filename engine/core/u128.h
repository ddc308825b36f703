// Unsigned 128-bit integers: the type of every id and amount in Tally.
//
// Decimal text is the external form (JSON, command line): parse_u128 accepts
// 1 to 39 digits with no sign, spaces or leading '+', and rejects values
// above 2^128 - 1 by name. Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

using u128 = unsigned __int128;
inline constexpr u128 kU128Max = ~u128{0};

constexpr uint64_t u128_hi(u128 v) { return static_cast<uint64_t>(v >> 64); }
constexpr uint64_t u128_lo(u128 v) { return static_cast<uint64_t>(v); }
constexpr u128 make_u128(uint64_t hi, uint64_t lo) { return (u128{hi} << 64) | lo; }

// Decimal form, e.g. "340282366920938463463374607431768211455".
std::string u128_to_string(u128 v);
// nullopt when `text` is not a decimal number in [0, 2^128 - 1].
std::optional<u128> parse_u128(std::string_view text);

// a + b, or nullopt on overflow.
constexpr std::optional<u128> checked_add(u128 a, u128 b) {
  u128 s = a + b;
  if (s < a) return std::nullopt;
  return s;
}

}  // namespace tally
