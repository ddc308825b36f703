// The segment log's files (internal to engine/log; the layout is frozen and
// described in embedded_log.h "Layout (frozen)" and docs/design.md "The log").
//
//   tally-log.meta        "tally segment log 1\npartitions N\n", written once
//                         when the log is created (temp file, fsync, rename,
//                         directory fsync); its presence marks the format.
//   NNNNNNNNNNNNNNNNNNNN.log  segment files, numbered from 0 (20 digits,
//                         as Kafka names its segments), appended to in order.
//   LOCK                  flock'd by the one writer.
//
// A segment is a sequence of frames, each one record, little-endian:
//   0  u32 magic "TSG1"
//   4  u32 header crc32c of bytes 8..39
//   8  u32 body crc32c of key | value
//  12  u32 value length
//  16  u16 key length
//  18  u16 flags (0)
//  20  u32 partition
//  24  u64 offset
//  32  u64 append time, ns since the epoch
//  40  key, value
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>

namespace tally::segment {

inline constexpr char kMetaFile[] = "tally-log.meta";
inline constexpr char kLockFile[] = "LOCK";
inline constexpr char kSegmentSuffix[] = ".log";
inline constexpr uint32_t kMagic = 0x31475354;  // "TSG1" read as u32 LE
inline constexpr size_t kFrameHeader = 40;
inline constexpr uint32_t kMaxValueBytes = 1u << 30;

struct FrameHeader {
  uint32_t body_crc = 0;
  uint32_t value_len = 0;
  uint16_t key_len = 0;
  uint32_t partition = 0;
  uint64_t offset = 0;
  uint64_t append_time = 0;

  uint64_t frame_bytes() const { return kFrameHeader + key_len + value_len; }
};

// Writes `h` (with both crcs; h.body_crc must be set) into out[0..40).
void encode_header(const FrameHeader& h, char* out);

// Why a header did not parse.
enum class HeaderFault { none, magic, crc };
// Parses out[0..40): nullopt and `fault` set when the magic or the header
// crc is wrong.
std::optional<FrameHeader> decode_header(const char* in, HeaderFault* fault);

// "00000000000000000003.log"
std::string segment_name(uint32_t number);
// The number a segment file name carries; nullopt for any other name.
std::optional<uint32_t> parse_segment_name(const std::string& name);

}  // namespace tally::segment
