#include "engine/core/u128.h"

#include <algorithm>

namespace tally {

std::string u128_to_string(u128 v) {
  if (v == 0) return "0";
  char buf[40];
  int n = 0;
  while (v != 0) {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  }
  std::reverse(buf, buf + n);
  return std::string(buf, n);
}

std::optional<u128> parse_u128(std::string_view text) {
  if (text.empty() || text.size() > 39) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;  // one spelling per number
  u128 v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    u128 digit = static_cast<u128>(c - '0');
    if (v > (kU128Max - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

}  // namespace tally
