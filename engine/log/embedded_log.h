// EmbeddedLog: the command log kept in local files, for running Tally on one
// machine with nothing else installed (the default without --kafka). Two
// storage formats sit behind open_embedded_log; a directory that holds a log
// opens in the format it holds (told by its files), and a new directory gets
// EmbeddedLogOptions::create_format (docs/design.md "The log").
//
// Layout (frozen), segment log (engine/log/segment_format.h): the meta file
// "tally-log.meta" ("tally segment log 1\npartitions N\n", written once at
// creation, which fixes the partition count), segment files
// "NNNNNNNNNNNNNNNNNNNN.log" numbered from 0 with no gaps, and a LOCK file.
// A segment is a sequence of frames, one per record, little-endian: u32
// magic "TSG1" | u32 crc32c of bytes 8..39 | u32 crc32c of key and value |
// u32 value length | u16 key length | u16 flags (0) | u32 partition | u64
// offset | u64 append_time_ns | key | value. Every partition's records go
// into the one active segment, each partition's offsets in sequence from 0.
// A group never spans two segments; a new segment starts when the next
// group would take the active one past segment_bytes. The in-memory index
// (16 bytes per record: segment, position, length) is rebuilt at open by
// scanning every segment and checking every frame.
//
// Layout (frozen), RocksDB log (directories created before the segment
// log; still opened and written): key 'r' | partition u32 BE | offset u64
// BE, value append_time_ns u64 LE | key length u16 LE | key | record bytes;
// key "m:partitions" holds the partition count fixed when the log was created.
//
// Durability: appends are group-committed. Concurrent appenders queue up;
// one of them writes everyone's records (segments: one pwritev of the
// frames and one fdatasync; RocksDB: one WriteBatch with the WAL fsync'd),
// then wakes the rest. Segments pipeline this: the next group is written
// while the previous one's fdatasync runs, and groups are acknowledged and
// become readable in the order they were written. An append returns only after that fsync, so every
// acknowledged record survives kill -9 and power loss; a group fails or
// succeeds as a whole. A new segment file and its directory are fsync'd
// when it is created. After a failed write every later append fails with
// the same error until the log is reopened: offsets already handed out
// could otherwise be reused. Except a write the disk refused (full, over
// quota, read-only): appends fail with resource_exhausted and nothing of
// the refused group stays (segments: the file is cut back to its durable
// end); the disk is probed at most once a second (append_condition() too)
// and appends go on once it takes writes.
//
// Damage: opening drops only a torn last write (never acknowledged:
// segments: a frame of the last segment cut short, or zeros to the end;
// RocksDB: the WAL's torn last record); damage before the end fails the
// open with a corruption naming the file, the byte (segments) and the
// offsets at stake, never skipping. Reads verify the checksums (segments:
// both crc32c of each frame read, and that it is the partition and offset
// asked for); damage fails the read that reaches it, naming file and offset.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "engine/log/log.h"

namespace tally {

inline constexpr uint32_t kDefaultPartitions = 8;

// The storage format of an embedded log directory.
enum class EmbeddedFormat { segments, rocksdb };

struct EmbeddedLogOptions {
  std::string dir;                  // created if missing
  // Partition count. 0: the stored count, or kDefaultPartitions when creating.
  // Otherwise it must match the stored count.
  uint32_t partitions = 0;
  bool sync = true;                 // fsync each group commit; false only for tests of speed
  size_t max_record_bytes = 1u << 20;
  // Open for reading only, without the directory's lock, so tools (replay,
  // reconcile) can read the log while a `tally serve` appends to it. The
  // log is then a snapshot: it holds every record appended before the open
  // (RocksDB replays the writer's WAL into memory) and none appended after;
  // end_offset() stays where it was. Appends fail with failed_precondition.
  // The directory must hold a log already (nothing is created).
  // Segments: the snapshot is every whole frame in the files at open.
  bool read_only = false;
  // The format a directory that holds no log yet is created in. A
  // directory holding a log keeps its format, whatever this says.
  EmbeddedFormat create_format = EmbeddedFormat::segments;
  // Segments: a new segment starts when a group would take the active
  // one past this many bytes (a group larger than this gets one alone).
  uint64_t segment_bytes = 256u << 20;
};

// Opens or creates the log. Fails if `dir` holds a log with a different
// partition count, or cannot be opened (locked by another process, disk).
Result<std::unique_ptr<Log>> open_embedded_log(const EmbeddedLogOptions& options);

// The format of the log in `dir`; nullopt when it holds none (missing or
// empty).
std::optional<EmbeddedFormat> embedded_format_of(const std::string& dir);

}  // namespace tally
