#include "engine/core/digest.h"

namespace tally {

std::string Digest::hex(uint64_t state) {
  static const char* digits = "0123456789abcdef";
  const uint64_t v = finish(state);
  std::string s(16, '0');
  for (int i = 0; i < 16; i++) s[static_cast<size_t>(i)] = digits[(v >> (60 - 4 * i)) & 0xf];
  return s;
}

}  // namespace tally
