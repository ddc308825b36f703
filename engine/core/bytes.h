// Fixed-width integer encodings for keys and values. Big-endian where byte
// order must sort like the number (RocksDB keys), little-endian elsewhere.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "engine/core/u128.h"

namespace tally {

inline void put_be32(char* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<char>(v >> (24 - 8 * i));
}
inline void put_be64(char* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<char>(v >> (56 - 8 * i));
}
inline void put_be128(char* p, u128 v) {
  put_be64(p, u128_hi(v));
  put_be64(p + 8, u128_lo(v));
}
inline uint32_t get_be32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t get_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
inline u128 get_be128(const char* p) { return make_u128(get_be64(p), get_be64(p + 8)); }

inline void put_le64(char* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = static_cast<char>(v >> (8 * i));
}
inline uint64_t get_le64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// Appends to a string buffer.
inline void append_be32(std::string& s, uint32_t v) {
  char b[4];
  put_be32(b, v);
  s.append(b, 4);
}
inline void append_be64(std::string& s, uint64_t v) {
  char b[8];
  put_be64(b, v);
  s.append(b, 8);
}
inline void append_be128(std::string& s, u128 v) {
  char b[16];
  put_be128(b, v);
  s.append(b, 16);
}

}  // namespace tally
