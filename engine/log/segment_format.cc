#include "engine/log/segment_format.h"

#include <charconv>
#include <cstdio>

#include "engine/log/crc32c.h"

namespace tally::segment {
namespace {

template <typename T>
void put(char* p, T v) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  std::memcpy(p, &v, sizeof v);
}

template <typename T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

void encode_header(const FrameHeader& h, char* out) {
  put<uint32_t>(out, kMagic);
  put<uint32_t>(out + 8, h.body_crc);
  put<uint32_t>(out + 12, h.value_len);
  put<uint16_t>(out + 16, h.key_len);
  put<uint16_t>(out + 18, 0);
  put<uint32_t>(out + 20, h.partition);
  put<uint64_t>(out + 24, h.offset);
  put<uint64_t>(out + 32, h.append_time);
  put<uint32_t>(out + 4, crc32c(out + 8, kFrameHeader - 8));
}

std::optional<FrameHeader> decode_header(const char* in, HeaderFault* fault) {
  if (get<uint32_t>(in) != kMagic) {
    *fault = HeaderFault::magic;
    return std::nullopt;
  }
  if (get<uint32_t>(in + 4) != crc32c(in + 8, kFrameHeader - 8)) {
    *fault = HeaderFault::crc;
    return std::nullopt;
  }
  *fault = HeaderFault::none;
  FrameHeader h;
  h.body_crc = get<uint32_t>(in + 8);
  h.value_len = get<uint32_t>(in + 12);
  h.key_len = get<uint16_t>(in + 16);
  h.partition = get<uint32_t>(in + 20);
  h.offset = get<uint64_t>(in + 24);
  h.append_time = get<uint64_t>(in + 32);
  return h;
}

std::string segment_name(uint32_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "%020u%s", number, kSegmentSuffix);
  return name;
}

std::optional<uint32_t> parse_segment_name(const std::string& name) {
  const size_t suffix = sizeof kSegmentSuffix - 1;
  if (name.size() != 20 + suffix || name.compare(20, suffix, kSegmentSuffix) != 0) return std::nullopt;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + 20, n);
  if (ec != std::errc() || end != name.data() + 20 || n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(n);
}

}  // namespace tally::segment
