#include "engine/log/embedded_log.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <cassert>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>

#include "engine/core/bytes.h"
#include "engine/core/thread_annotations.h"
#include "engine/log/embedded_format.h"
#include "engine/log/segment_log.h"
#include "engine/storage/rocks_support.h"

namespace tally {
namespace {

using embedded::kKeySize;
using embedded::kPartitionsKey;
using embedded::load_ends;
using embedded::record_key;

constexpr size_t kHeaderSize = 10;  // append_time_ns u64 LE | key length u16 LE
constexpr size_t kMaxGroupBytes = 64u << 20;
// While the disk refuses writes, RocksDB is asked to resume at most this often.
constexpr auto kResumeInterval = std::chrono::seconds(1);

Status from_rocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNoSpace()) return Status::ResourceExhausted(what + ": disk full: " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

uint64_t wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

class EmbeddedLog;

class EmbeddedReader final : public LogReader {
 public:
  EmbeddedReader(EmbeddedLog* log, Partition p, Offset from) : log_(log), p_(p), pos_(from) {}
  Result<std::vector<LogRecord>> next(size_t max_records, std::chrono::milliseconds wait) override;
  Offset position() const override { return pos_; }

 private:
  EmbeddedLog* log_;
  Partition p_;
  Offset pos_;
};

class EmbeddedLog final : public Log {
 public:
  EmbeddedLog(std::unique_ptr<rocksdb::DB> db, EmbeddedLogOptions options,
              std::vector<uint64_t> ends, std::shared_ptr<DiskErrorListener> errors)
      : db_(std::move(db)),
        options_(std::move(options)),
        errors_(std::move(errors)),
        ends_(std::move(ends)) {}

  uint32_t partition_count() const override { return options_.partitions; }
  size_t max_record_bytes() const override { return options_.max_record_bytes; }
  std::string describe() const override { return "embedded log at " + options_.dir; }
  Status checkpoint(const std::string& dir) override;
  Status append_condition() override;
  uint64_t group_commits() const override { return commits_.load(std::memory_order_relaxed); }

  Result<std::vector<Offset>> append(std::span<const AppendRequest> records) override;
  Result<std::unique_ptr<LogReader>> read(Partition p, Offset from) override {
    TALLY_RETURN_IF_ERROR(check_partition(*this, p));
    return std::unique_ptr<LogReader>(new EmbeddedReader(this, p, from));
  }
  Result<Offset> end_offset(Partition p) override {
    TALLY_RETURN_IF_ERROR(check_partition(*this, p));
    tally::MutexLock lock(mu_);
    return Offset{ends_[p.value]};
  }

  // Reads committed records of `p` from `from`; waits up to `wait` for one.
  Result<std::vector<LogRecord>> read_from(Partition p, Offset from, size_t max,
                                           std::chrono::milliseconds wait);

 private:
  struct Writer {
    std::span<const AppendRequest> records;
    std::vector<Offset> offsets;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };

  Status write_group(std::vector<Writer*>& group) REQUIRES(mu_);
  // REQUIRES: mu_ held (released around RocksDB's calls). After the disk
  // refused a write: asks RocksDB to resume (at most once a second) and
  // returns the disk's status while it still refuses.
  // `resumed`: RocksDB said it writes again (not merely that it is busy
  // resuming by itself).
  Status try_resume(bool* resumed = nullptr) REQUIRES(mu_);
  // REQUIRES: mu_ held. Clears the disk's error after a write or a resume
  // succeeded.
  void note_resumed() REQUIRES(mu_);
  // REQUIRES: mu_ held. What appends get while the disk refuses writes.
  Status refused() const REQUIRES(mu_) {
    return disk_write_status("the embedded log", options_.dir, disk_error_, errors_->fatal());
  }
  // REQUIRES: mu_ held. Records a write the disk refused.
  Status note_disk_failure(const rocksdb::Status& s) REQUIRES(mu_);

  std::unique_ptr<rocksdb::DB> db_;
  const EmbeddedLogOptions options_;
  const std::shared_ptr<DiskErrorListener> errors_;  // the database's background errors

  tally::Mutex mu_;
  std::vector<uint64_t> ends_ GUARDED_BY(mu_);  // next offset per partition, committed
  std::deque<Writer*> writers_ GUARDED_BY(mu_);  // the front one is the leader
  Status sticky_error_ GUARDED_BY(mu_);
  // The last write the disk refused (full, read-only), until a write
  // succeeds again; appends are refused meanwhile, reads go on.
  rocksdb::Status disk_error_ GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_resume_ GUARDED_BY(mu_) = {};
  std::condition_variable appended_;  // signalled after each commit
  std::atomic<uint64_t> commits_{0};
};

// Consistent with every acknowledged append before the call: those are in
// the fsync'd WAL, which the checkpoint flushes into its files.
Status EmbeddedLog::checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  TALLY_RETURN_IF_ERROR(
      from_rocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpointing " + describe()));
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  return from_rocks(cp->CreateCheckpoint(dir, 0), "checkpointing " + describe() + " into " + dir);
}

// Asks RocksDB to resume too (at most once a second), so the log comes
// back when space does, whether or not anyone appends meanwhile.
Status EmbeddedLog::append_condition() {
  tally::UniqueLock lock(mu_);
  if (disk_error_.ok()) return Status::Ok();
  if (!writers_.empty()) return refused();
  bool resumed = false;
  TALLY_RETURN_IF_ERROR(try_resume(&resumed));
  if (!resumed) return refused();
  note_resumed();
  return Status::Ok();
}

void EmbeddedLog::note_resumed() {
  if (disk_error_.ok()) return;
  std::fprintf(stderr, "tally: the embedded log at %s takes appends again\n", options_.dir.c_str());
  disk_error_ = rocksdb::Status::OK();
}

Result<std::vector<Offset>> EmbeddedLog::append(std::span<const AppendRequest> records) {
  if (options_.read_only) {
    return Status::FailedPrecondition(describe() + " is open for reading only");
  }
  TALLY_RETURN_IF_ERROR(check_append(*this, records));
  Writer w;
  w.records = records;
  tally::UniqueLock lock(mu_);
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(lock.native());
  if (w.done) {
    if (!w.status.ok()) return w.status;
    return std::move(w.offsets);
  }
  // This thread leads: take the queue (up to a byte budget) and commit it.
  std::vector<Writer*> group;
  size_t bytes = 0;
  for (Writer* x : writers_) {
    size_t b = 0;
    for (const AppendRequest& r : x->records) b += r.value.size();
    if (!group.empty() && bytes + b > kMaxGroupBytes) break;
    group.push_back(x);
    bytes += b;
  }
  Status status = sticky_error_;
  if (status.ok() && !disk_error_.ok()) status = try_resume();
  if (status.ok()) {
    status = write_group(group);  // releases and re-takes mu_ around the write
    // A write the disk refused is not sticky: RocksDB keeps the failed
    // batch out of the memtable and, once it resumes, out of every live
    // WAL, so its offsets were never handed out (try_resume checks).
    if (status.ok()) {
      note_resumed();
    } else if (status.code() != StatusCode::resource_exhausted) {
      sticky_error_ = status;
    }
  }
  for (Writer* x : group) {
    writers_.pop_front();
    if (x != &w) {
      x->status = status;
      x->done = true;
      x->cv.notify_one();
    }
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  appended_.notify_all();
  if (!status.ok()) return status;
  return std::move(w.offsets);
}

// REQUIRES: mu_ held by the caller through `lock` semantics: called with mu_
// held; releases it during the write and holds it again on return.
Status EmbeddedLog::write_group(std::vector<Writer*>& group) {
  std::vector<uint64_t> next = ends_;
  size_t bytes = 0;
  for (Writer* x : group) {
    for (const AppendRequest& r : x->records) {
      bytes += kKeySize + kHeaderSize + r.key.size() + r.value.size() + 16;  // + batch framing
    }
  }
  rocksdb::WriteBatch batch(bytes + 64);
  const uint64_t now = wall_clock_ns();
  char header[kHeaderSize];
  put_le64(header, now);
  for (Writer* x : group) {
    x->offsets.clear();
    for (const AppendRequest& r : x->records) {
      const Offset o{next[r.partition.value]++};
      x->offsets.push_back(o);
      header[8] = static_cast<char>(r.key.size() & 0xff);
      header[9] = static_cast<char>(r.key.size() >> 8);
      // The stored value is header | key | record, copied once, straight
      // into the batch.
      const std::string k = record_key(r.partition, o);
      const rocksdb::Slice key_part(k);
      const rocksdb::Slice value_parts[3] = {
          rocksdb::Slice(header, kHeaderSize),
          rocksdb::Slice(reinterpret_cast<const char*>(r.key.data()), r.key.size()),
          rocksdb::Slice(reinterpret_cast<const char*>(r.value.data()), r.value.size())};
      const rocksdb::Status put =
          batch.Put(rocksdb::SliceParts(&key_part, 1), rocksdb::SliceParts(value_parts, 3));
      assert(put.ok());  // only fails past the batch's size limit, which is unset
      (void)put;
    }
  }
  mu_.unlock();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  const rocksdb::Status s = db_->Write(wo, &batch);
  mu_.lock();
  if (is_disk_write_failure(s)) return note_disk_failure(s);
  if (!s.ok()) return from_rocks(s, "appending to " + describe());
  ends_ = std::move(next);
  commits_.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Status EmbeddedLog::note_disk_failure(const rocksdb::Status& s) {
  if (disk_error_.ok()) log_disk_failure("the embedded log", options_.dir, s);
  disk_error_ = s;
  return refused();
}

Status EmbeddedLog::try_resume(bool* resumed) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_resume_ < kResumeInterval) {
    return refused();
  }
  last_resume_ = now;
  mu_.unlock();
  const rocksdb::Status r = db_->Resume();
  Result<std::vector<uint64_t>> stored = load_ends(*db_, options_.partitions);
  mu_.lock();
  if (is_disk_write_failure(r)) return note_disk_failure(r);
  if (!stored.ok()) return stored.status();
  if (resumed != nullptr) *resumed = r.ok();
  // Belt and braces: a refused batch must not have landed; if one did, its
  // offsets stay taken.
  for (size_t p = 0; p < ends_.size(); p++) ends_[p] = std::max(ends_[p], (*stored)[p]);
  return Status::Ok();
}

Result<std::vector<LogRecord>> EmbeddedLog::read_from(Partition p, Offset from, size_t max,
                                                      std::chrono::milliseconds wait) {
  uint64_t end;
  {
    tally::UniqueLock lock(mu_);
    appended_.wait_for(lock.native(), wait, [&]() REQUIRES(mu_) { return ends_[p.value] > from.value; });
    end = ends_[p.value];
  }
  std::vector<LogRecord> out;
  if (end <= from.value) return out;
  const std::string start = record_key(p, from);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  uint64_t expect = from.value;
  for (it->Seek(start); it->Valid() && out.size() < max && expect < end; it->Next(), expect++) {
    const rocksdb::Slice k = it->key();
    if (k.size() != kKeySize || k[0] != 'r' || get_be32(k.data() + 1) != p.value) break;
    const uint64_t o = get_be64(k.data() + 5);
    if (o != expect) {
      return Status::Corruption(describe() + " partition " + std::to_string(p.value) +
                                ": expected offset " + std::to_string(expect) + ", found " +
                                std::to_string(o));
    }
    const rocksdb::Slice v = it->value();
    const size_t key_len = v.size() < kHeaderSize
                               ? 0
                               : static_cast<uint8_t>(v[8]) | (static_cast<uint8_t>(v[9]) << 8);
    if (v.size() < kHeaderSize + key_len) {
      return Status::Corruption(describe() + " partition " + std::to_string(p.value) + " offset " +
                                std::to_string(o) + ": stored value shorter than its header");
    }
    LogRecord r;
    r.partition = p;
    r.offset = Offset{o};
    r.append_time = Timestamp{get_le64(v.data())};
    r.key.assign(v.data() + kHeaderSize, v.data() + kHeaderSize + key_len);
    r.value.assign(v.data() + kHeaderSize + key_len, v.data() + v.size());
    out.push_back(std::move(r));
  }
  if (!it->status().ok()) {
    // A damaged table or blob file: RocksDB's words name the file; the
    // record that could not be read is `expect`. Never skipped.
    return from_rocks(it->status(), "reading partition " + std::to_string(p.value) +
                                        " at offset " + std::to_string(expect) + " of " +
                                        describe());
  }
  if (out.empty()) {
    return Status::Corruption(describe() + " partition " + std::to_string(p.value) +
                              ": offset " + std::to_string(from.value) + " is missing below end " +
                              std::to_string(end));
  }
  return out;
}

Result<std::vector<LogRecord>> EmbeddedReader::next(size_t max_records,
                                                    std::chrono::milliseconds wait) {
  auto r = log_->read_from(p_, pos_, max_records, wait);
  if (r.ok() && !r->empty()) pos_ = r->back().offset.next();
  return r;
}

rocksdb::Options log_options(const EmbeddedLogOptions& options) {
  rocksdb::Options ro;
  ro.create_if_missing = !options.read_only;
  // A torn last record (a write that never returned, so never
  // acknowledged) is dropped; damage anywhere before the end fails the
  // open. The default, point-in-time recovery, would silently stop at the
  // damage and drop every acknowledged record after it.
  ro.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  ro.paranoid_checks = true;
  ro.info_log = make_rocks_logger("embedded log");
  ro.enable_blob_files = true;  // records live in blob files; compaction moves only keys
  ro.min_blob_size = 1024;
  ro.blob_file_size = 256u << 20;
  ro.write_buffer_size = 64u << 20;
  // Four memtables (at most 256 MiB) absorb a slow flush instead of
  // stopping appends while it runs; with two, `tally bench log` saw writes
  // stopped a few times a second.
  ro.max_write_buffer_number = 4;
  // Flushes write blob files out 1 MiB at a time, so their final fsync does
  // not land as one burst in front of the appenders' WAL fsyncs.
  ro.bytes_per_sync = 1u << 20;
  ro.max_background_jobs = 2;
  ro.compression = rocksdb::kNoCompression;
  return ro;
}

// `errors` watches the database's background errors (try_resume resumes).
Result<std::unique_ptr<rocksdb::DB>> open_db(const EmbeddedLogOptions& options,
                                             const std::shared_ptr<DiskErrorListener>& errors) {
  TALLY_RETURN_IF_ERROR(check_current_file(
      options.dir, "the embedded log",
      "Restore the data directory from a checkpoint (docs/operations.md, \"When the disk fails\")"));
  rocksdb::Options ro = log_options(options);
  ro.listeners.push_back(errors);
  rocksdb::DB* raw = nullptr;
  // Read-only: no lock, no writes; the WAL is replayed into memory, so the
  // snapshot includes what the writer has appended but not yet flushed. A
  // writer may delete a WAL file it has just flushed while a reader opens:
  // the reader then tries again, a few times.
  rocksdb::Status s;
  for (int attempt = 0; attempt < (options.read_only ? 3 : 1); attempt++) {
    s = options.read_only ? rocksdb::DB::OpenForReadOnly(ro, options.dir, &raw)
                          : rocksdb::DB::Open(ro, options.dir, &raw);
    if (s.ok() || !s.IsIOError()) break;
  }
  if (s.IsCorruption()) return embedded::describe_damage(options.dir, ro, s);
  if (!s.ok()) return from_rocks(s, "opening the embedded log at " + options.dir);
  return std::unique_ptr<rocksdb::DB>(raw);
}

// Opens or creates the log in RocksDB.
Result<std::unique_ptr<Log>> open_rocksdb_log(const EmbeddedLogOptions& options);

}  // namespace

namespace embedded {

Result<std::vector<uint64_t>> load_ends(rocksdb::DB& db, uint32_t partitions) {
  std::vector<uint64_t> ends(partitions, 0);
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (uint32_t p = 0; p < partitions; p++) {
    it->SeekForPrev(record_key(Partition{p}, Offset{~uint64_t{0}}));
    if (it->Valid()) {
      const rocksdb::Slice k = it->key();
      if (k.size() == kKeySize && k[0] == 'r' && get_be32(k.data() + 1) == p) {
        ends[p] = get_be64(k.data() + 5) + 1;
      }
    }
  }
  if (!it->status().ok()) return from_rocks(it->status(), "scanning the log");
  return ends;
}

}  // namespace embedded

std::optional<EmbeddedFormat> embedded_format_of(const std::string& dir) {
  if (segment::is_segment_dir(dir)) return EmbeddedFormat::segments;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec) || std::filesystem::is_empty(dir, ec)) {
    return std::nullopt;
  }
  return EmbeddedFormat::rocksdb;
}

Result<std::unique_ptr<Log>> open_embedded_log(const EmbeddedLogOptions& options) {
  if (options.partitions > 4096) {
    return Status::InvalidArgument("partition count " + std::to_string(options.partitions) +
                                   " is over the limit of 4096");
  }
  const std::optional<EmbeddedFormat> held = embedded_format_of(options.dir);
  if (held.value_or(options.create_format) == EmbeddedFormat::segments) {
    return segment::open_segment_log(options);
  }
  return open_rocksdb_log(options);
}

namespace {

Result<std::unique_ptr<Log>> open_rocksdb_log(const EmbeddedLogOptions& options) {
  auto errors = std::make_shared<DiskErrorListener>();
  TALLY_ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> db, open_db(options, errors));

  EmbeddedLogOptions effective = options;
  std::string stored;
  const rocksdb::Status g = db->Get(rocksdb::ReadOptions(), kPartitionsKey, &stored);
  if (g.IsNotFound() && options.read_only) {
    return Status::NotFound("no embedded log at " + options.dir + " (no partition count stored)");
  }
  if (g.IsNotFound()) {
    if (effective.partitions == 0) effective.partitions = kDefaultPartitions;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    TALLY_RETURN_IF_ERROR(from_rocks(
        db->Put(wo, kPartitionsKey, std::to_string(effective.partitions)), "creating the log"));
  } else if (!g.ok()) {
    return from_rocks(g, "reading the log's partition count");
  } else {
    uint32_t n = 0;
    const auto [end, ec] = std::from_chars(stored.data(), stored.data() + stored.size(), n);
    if (ec != std::errc() || end != stored.data() + stored.size() || n == 0 || n > 4096) {
      return Status::Corruption("the embedded log at " + options.dir +
                                " stores an invalid partition count \"" + stored + "\"");
    }
    if (effective.partitions != 0 && effective.partitions != n) {
      return Status::InvalidArgument("the embedded log at " + options.dir + " has " + stored +
                                     " partitions, not " + std::to_string(options.partitions));
    }
    effective.partitions = n;
  }
  TALLY_ASSIGN_OR_RETURN(std::vector<uint64_t> ends, load_ends(*db, effective.partitions));
  return std::unique_ptr<Log>(
      new EmbeddedLog(std::move(db), effective, std::move(ends), std::move(errors)));
}

}  // namespace

}  // namespace tally
