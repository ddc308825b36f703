// Asserting u128 arithmetic for balances: the ledger's rules
// (projections/ledger_*.cc) and the saga step (recovery/sagas.cc) move money
// with these, never with bare += / -=.
//
// Use them only where the caller has already ruled out the failure: input
// that could overflow gets an Outcome before the money moves, so a failing
// assertion here is a defect in the engine, never a user's error.
// Thread-safe: pure functions.
#pragma once

#include <cassert>

#include "engine/core/u128.h"

namespace tally {

// a + b; asserts it does not overflow (saturates at kU128Max if assertions
// are compiled out).
inline u128 add_checked(u128 a, u128 b) {
  const std::optional<u128> sum = checked_add(a, b);
  assert(sum.has_value());
  return sum.value_or(kU128Max);
}

// a - b; asserts a >= b.
inline u128 sub_checked(u128 a, u128 b) {
  assert(a >= b);
  return a - b;
}

}  // namespace tally
