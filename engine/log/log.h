// The command log: an append-only sequence of records per partition
// (docs/design.md "The log"). Two implementations share this interface and its
// test suite: EmbeddedLog (a durable local log in RocksDB, the default) and
// KafkaLog (librdkafka against any Kafka cluster or `tally broker`).
//
// Thread safety: a Log may be used by many threads at once (appends from
// several threads are ordered per partition in some order and each gets its
// own offset). A LogReader belongs to one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/types.h"

namespace tally {

// One record read back from the log. `value` is exactly the appended bytes;
// nothing has checked them yet (see decode_batch).
struct LogRecord {
  Partition partition;
  Offset offset;
  // When the log accepted the record, in ns since the epoch (Kafka's message
  // timestamp has ms resolution and is scaled to ns).
  Timestamp append_time;
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;
};

// Record keys are at most this long (Tally's own keys are 8 bytes).
inline constexpr size_t kMaxKeyBytes = 1024;

// One record to append. The spans must stay valid for the call.
struct AppendRequest {
  Partition partition;
  std::span<const uint8_t> key;    // Kafka message key; may be empty
  std::span<const uint8_t> value;  // normally an encoded Batch
};

// Reads one partition forward from a start offset.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // Up to `max_records` records from the current position, waiting at most
  // `wait` for the first one to arrive. An empty vector means none arrived in
  // time. Records come in offset order with no gaps, except where retention
  // removed records (Kafka), which is an error naming the first offset kept.
  virtual Result<std::vector<LogRecord>> next(size_t max_records,
                                              std::chrono::milliseconds wait) = 0;
  // The offset of the next record next() returns.
  virtual Offset position() const = 0;
};

class Log {
 public:
  virtual ~Log() = default;

  virtual uint32_t partition_count() const = 0;

  // Appends the records durably (a returned offset is never lost) and
  // returns their offsets, in the order of `records`. Records for the same
  // partition are appended in the order given.
  // REQUIRES: every partition < partition_count(); every value is at most
  // max_record_bytes().
  virtual Result<std::vector<Offset>> append(std::span<const AppendRequest> records) = 0;

  // When an append gives up waiting for the log (steady clock).
  using Deadline = std::chrono::steady_clock::time_point;
  // append() that returns by `deadline` (or sooner: a log may bound every
  // append by its own default, KafkaLogOptions::append_timeout). Past it the
  // answer is `unavailable`, naming the log's state; records handed to the
  // log may still be stored after that answer (Kafka delivers what was in
  // flight when the broker returns), so a caller must be able to re-send
  // them and have duplicates recognised (commands carry ids: docs/recovery.md
  // "Answered 503, applied later"). Deadline::max(): the log's default.
  // The default implementation ignores the deadline (the embedded log's
  // appends are local writes).
  virtual Result<std::vector<Offset>> append_by(std::span<const AppendRequest> records,
                                                Deadline deadline);

  // One record; a convenience over append().
  Result<Offset> append_one(Partition partition, std::span<const uint8_t> value,
                            std::span<const uint8_t> key = {});

  // A reader positioned at `from`. REQUIRES: partition < partition_count().
  virtual Result<std::unique_ptr<LogReader>> read(Partition partition, Offset from) = 0;

  // The offset the next appended record of `partition` will get.
  virtual Result<Offset> end_offset(Partition partition) = 0;

  // The largest record value this log accepts, in bytes.
  virtual size_t max_record_bytes() const = 0;

  // "embedded log at DIR" or "kafka HOST:PORT topic T": for messages.
  virtual std::string describe() const = 0;

  // Copies what the log holds now into `dir`, a new directory, while
  // appends go on (a backup; docs/operations.md "Backups"). The embedded
  // log makes a RocksDB checkpoint (hard links where it can). A log kept
  // elsewhere (Kafka) has nothing here to copy: failed_precondition, the
  // default. REQUIRES: `dir` does not exist; its parent does.
  virtual Status checkpoint(const std::string& dir);

  // How many group commits (each one write and one fsync of everything
  // queued) this log has made since it was opened; 0 where it does not
  // count them (Kafka). For benchmarks: bytes appended / commits is the
  // mean group.
  virtual uint64_t group_commits() const { return 0; }

  // Why appends are refused at this moment, when the log knows it without
  // trying one (the embedded log's disk is full or read-only; appends
  // resume by themselves once it is not); ok otherwise. For /health.
  virtual Status append_condition() { return Status::Ok(); }
};

// Checks the requests of an append against the log's limits; the message
// names the partition or size that is out of range.
Status check_append(const Log& log, std::span<const AppendRequest> records);

// ok when `partition` is one of the log's; otherwise an error naming it and
// the log's partition count.
Status check_partition(const Log& log, Partition partition);

}  // namespace tally
