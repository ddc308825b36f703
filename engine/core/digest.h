// The partition digest: a running 64-bit hash over what a partition applied
// (docs/design.md "State digest"). Two stores that applied the same log prefix
// have the same digest at the same offset, on any machine: the function is
// fixed here and never depends on pointers, hash seeds or iteration order.
//
// Each update mixes one 64-bit word: h = rotl(h ^ (w * K1), 31) * K2, then a
// final avalanche on read. Not cryptographic: it detects divergence, it does
// not resist forgery.
#pragma once

#include <cstdint>
#include <string>

#include "engine/core/u128.h"

namespace tally {

class Digest {
 public:
  explicit Digest(uint64_t state = 0) : h_(state) {}
  void add(uint64_t w) {
    h_ ^= w * 0x9E3779B185EBCA87ull;
    h_ = (h_ << 31) | (h_ >> 33);
    h_ *= 0xC2B2AE3D27D4EB4Full;
  }
  void add(u128 w) {
    add(u128_lo(w));
    add(u128_hi(w));
  }
  // The running state, stored with the offset; resume with Digest(state).
  uint64_t state() const { return h_; }
  // The value tools print: the state, avalanched.
  static uint64_t finish(uint64_t state) {
    uint64_t x = state;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
  }
  // 16 hex digits of finish(state).
  static std::string hex(uint64_t state);

 private:
  uint64_t h_;
};

}  // namespace tally
