// The segment log (embedded_log.h "Layout (frozen)"): one writer appends
// every partition's records to the active segment file; each group commit
// is one pwritev and one fdatasync.
#include "engine/log/segment_log.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>

#include "engine/core/thread_annotations.h"
#include "engine/log/crc32c.h"
#include "engine/log/segment_files.h"
#include "engine/log/segment_format.h"
#include "engine/log/segment_scan.h"
#include "engine/storage/rocks_support.h"

namespace tally::segment {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxGroupBytes = 64u << 20;
constexpr size_t kMaxReadBytes = 8u << 20;  // one pread while reading, at most
// While the disk refuses writes, a write is tried again at most this often.
constexpr auto kResumeInterval = std::chrono::seconds(1);
constexpr off_t kProbeBytes = 1 << 20;

uint64_t wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// One segment file, open for reading (and, the active one, writing).
struct Segment {
  Segment(uint32_t n, std::string p, int f) : number(n), path(std::move(p)), fd(f) {}
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment() { ::close(fd); }
  const uint32_t number;
  const std::string path;
  const int fd;
};

// The form RocksDB's helpers (rocks_support.h) take a disk's refusal in.
rocksdb::Status refusal(int err, const std::string& what) {
  const std::string words = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return rocksdb::Status::NoSpace(words);
  return rocksdb::Status::IOError(words);
}

class SegmentLog;

class SegmentReader final : public LogReader {
 public:
  SegmentReader(SegmentLog* log, Partition p, Offset from) : log_(log), p_(p), pos_(from) {}
  Result<std::vector<LogRecord>> next(size_t max_records, std::chrono::milliseconds wait) override;
  Offset position() const override { return pos_; }

 private:
  SegmentLog* log_;
  Partition p_;
  Offset pos_;
};

class SegmentLog final : public Log {
 public:
  SegmentLog(EmbeddedLogOptions options, int lock_fd) : options_(std::move(options)), lock_fd_(lock_fd) {}
  ~SegmentLog() override {
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  // At open: the scanned files. REQUIRES: called once, before any use.
  void adopt(std::vector<std::shared_ptr<Segment>> segments, ScanResult scan) NO_THREAD_SAFETY_ANALYSIS {
    segments_ = std::move(segments);
    index_ = std::move(scan.index);
    for (const auto& entries : index_) assigned_.push_back(entries.size());
    active_end_ = write_end_ = scan.last_end;
    durable_segment_ = segments_.empty() ? 0 : static_cast<uint32_t>(segments_.size() - 1);
  }

  uint32_t partition_count() const override { return options_.partitions; }
  size_t max_record_bytes() const override { return options_.max_record_bytes; }
  std::string describe() const override { return "embedded log at " + options_.dir; }
  Status checkpoint(const std::string& dir) override;
  Status append_condition() override;
  uint64_t group_commits() const override { return commits_.load(std::memory_order_relaxed); }
  Result<std::vector<Offset>> append(std::span<const AppendRequest> records) override;
  Result<std::unique_ptr<LogReader>> read(Partition p, Offset from) override {
    TALLY_RETURN_IF_ERROR(check_partition(*this, p));
    return std::unique_ptr<LogReader>(new SegmentReader(this, p, from));
  }
  Result<Offset> end_offset(Partition p) override {
    TALLY_RETURN_IF_ERROR(check_partition(*this, p));
    tally::MutexLock lock(mu_);
    return Offset{index_[p.value].size()};
  }

  Result<std::vector<LogRecord>> read_from(Partition p, Offset from, size_t max,
                                           std::chrono::milliseconds wait);

 private:
  struct Writer {
    std::span<const AppendRequest> records;
    std::vector<uint32_t> crcs;  // of each record's key and value, computed by its appender
    std::vector<Offset> offsets;
    Status status;
    bool done = false;
    std::condition_variable cv;
  };
  // A record of a group, placed.
  struct Placed {
    uint32_t partition;
    IndexEntry entry;
  };
  // A group written into the page cache, not yet fsync'd or published.
  struct Written {
    std::shared_ptr<Segment> segment;
    uint32_t segment_index = 0;
    uint64_t start = 0, end = 0;
    std::vector<uint64_t> first;  // each partition's next offset before the group
    std::vector<Placed> placed;
  };

  // REQUIRES: mu_ held; released around the write. The one thread that
  // writes now (writing_) assigns the group its offsets and writes it.
  Status write_group(std::vector<Writer*>& group, Written& out) REQUIRES(mu_);
  // REQUIRES: mu_ held; released around the fdatasync, which may overlap
  // the next group's write.
  Status sync_group(const Written& w) REQUIRES(mu_);
  // REQUIRES: mu_ held, every earlier group published. Makes the group's
  // records readable and its end the durable end.
  void publish(const Written& w) REQUIRES(mu_);
  // REQUIRES: mu_ held. Starts a new active segment (the leader only).
  Status roll() REQUIRES(mu_);
  // REQUIRES: mu_ held. After a refused write: probes the disk (at most
  // once a second); ok once it takes writes again.
  Status try_resume() REQUIRES(mu_);
  Status refused() const REQUIRES(mu_) {
    return disk_write_status("the embedded log", options_.dir, disk_error_);
  }
  // REQUIRES: mu_ held. A write the disk refused with `err`: cuts the
  // active segment back to its durable end; poisons the log if it cannot.
  Status note_refusal(int err, const std::string& what) REQUIRES(mu_);
  Status read_entries(Partition p, uint64_t from, const std::vector<IndexEntry>& entries,
                      const std::vector<std::shared_ptr<Segment>>& segments,
                      std::vector<LogRecord>& out);

  const EmbeddedLogOptions options_;
  const int lock_fd_;

  tally::Mutex mu_;
  std::vector<std::shared_ptr<Segment>> segments_ GUARDED_BY(mu_);  // the last is active
  std::vector<std::vector<IndexEntry>> index_ GUARDED_BY(mu_);     // published records
  // Group commits are pipelined: while one group's fdatasync runs, the next
  // group may be written (one thread at a time writes). Groups publish in
  // the order they were written.
  std::vector<uint64_t> assigned_ GUARDED_BY(mu_);  // next offset per partition, written groups included
  uint64_t write_end_ GUARDED_BY(mu_) = 0;   // end of what was written to the last segment
  uint32_t durable_segment_ GUARDED_BY(mu_) = 0;  // the segment of the last published group
  uint64_t active_end_ GUARDED_BY(mu_) = 0;  // its end in that segment: the durable end
  bool writing_ GUARDED_BY(mu_) = false;     // a thread is writing a group
  uint64_t next_seq_ GUARDED_BY(mu_) = 1;
  uint64_t published_seq_ GUARDED_BY(mu_) = 0;
  std::condition_variable published_cv_;
  std::deque<Writer*> writers_ GUARDED_BY(mu_);  // waiting to be written; the front one writes next
  Status sticky_error_ GUARDED_BY(mu_);
  rocksdb::Status disk_error_ GUARDED_BY(mu_);  // the last refusal, until a write succeeds
  std::chrono::steady_clock::time_point last_resume_ GUARDED_BY(mu_) = {};
  std::condition_variable appended_;
  std::atomic<uint64_t> commits_{0};
};

Result<std::vector<Offset>> SegmentLog::append(std::span<const AppendRequest> records) {
  if (options_.read_only) {
    return Status::FailedPrecondition(describe() + " is open for reading only");
  }
  TALLY_RETURN_IF_ERROR(check_append(*this, records));
  Writer w;
  w.records = records;
  // Checksums before queueing: appenders compute theirs in parallel, not
  // the leader for all of them.
  w.crcs.reserve(records.size());
  for (const AppendRequest& r : records) {
    w.crcs.push_back(crc32c(r.value.data(), r.value.size(), crc32c(r.key.data(), r.key.size())));
  }
  tally::UniqueLock lock(mu_);
  writers_.push_back(&w);
  while (!w.done && (&w != writers_.front() || writing_)) w.cv.wait(lock.native());
  if (w.done) {
    if (!w.status.ok()) return w.status;
    return std::move(w.offsets);
  }
  // This thread writes the next group: the queue's front, up to a byte budget.
  std::vector<Writer*> group;
  size_t bytes = 0;
  for (Writer* x : writers_) {
    size_t b = 0;
    for (const AppendRequest& r : x->records) b += kFrameHeader + r.key.size() + r.value.size();
    if (!group.empty() && bytes + b > kMaxGroupBytes) break;
    group.push_back(x);
    bytes += b;
  }
  writers_.erase(writers_.begin(), writers_.begin() + static_cast<ptrdiff_t>(group.size()));
  writing_ = true;
  const uint64_t seq = next_seq_++;
  Status status = sticky_error_;
  if (status.ok() && !disk_error_.ok()) status = try_resume();
  Written written;
  if (status.ok()) status = write_group(group, written);
  writing_ = false;
  if (!writers_.empty()) writers_.front()->cv.notify_one();  // the next group may be written now
  if (status.ok()) status = sync_group(written);
  while (published_seq_ != seq - 1) published_cv_.wait(lock.native());
  // An earlier group whose sync failed leaves a hole before this one.
  if (status.ok() && !sticky_error_.ok()) status = sticky_error_;
  if (status.ok()) publish(written);
  published_seq_ = seq;
  published_cv_.notify_all();
  for (Writer* x : group) {
    if (x != &w) {
      x->status = status;
      x->done = true;
      x->cv.notify_one();
    }
  }
  appended_.notify_all();
  if (!status.ok()) return status;
  return std::move(w.offsets);
}

Status SegmentLog::write_group(std::vector<Writer*>& group, Written& out) {
  size_t bytes = 0, pieces = 0;
  for (Writer* x : group) {
    for (const AppendRequest& r : x->records) {
      bytes += kFrameHeader + r.key.size() + r.value.size();
      pieces += 3;
    }
  }
  if (write_end_ > 0 && write_end_ + bytes > options_.segment_bytes) TALLY_RETURN_IF_ERROR(roll());
  out.segment = segments_.back();
  out.segment_index = static_cast<uint32_t>(segments_.size() - 1);
  out.start = write_end_;
  out.first = assigned_;
  std::vector<uint64_t> next = assigned_;
  mu_.unlock();

  // Frames are built outside the lock; only this thread writes now.
  std::vector<char> headers(pieces / 3 * kFrameHeader);
  std::vector<iovec> iov;
  iov.reserve(pieces);
  out.placed.reserve(pieces / 3);
  const uint64_t now = wall_clock_ns();
  uint64_t pos = out.start;
  char* h = headers.data();
  for (Writer* x : group) {
    x->offsets.clear();
    for (size_t i = 0; i < x->records.size(); i++) {
      const AppendRequest& r = x->records[i];
      FrameHeader fh;
      fh.key_len = static_cast<uint16_t>(r.key.size());
      fh.value_len = static_cast<uint32_t>(r.value.size());
      fh.partition = r.partition.value;
      fh.offset = next[r.partition.value]++;
      fh.append_time = now;
      fh.body_crc = x->crcs[i];
      encode_header(fh, h);
      iov.push_back({h, kFrameHeader});
      if (!r.key.empty()) iov.push_back({const_cast<uint8_t*>(r.key.data()), r.key.size()});
      if (!r.value.empty()) iov.push_back({const_cast<uint8_t*>(r.value.data()), r.value.size()});
      out.placed.push_back(
          {fh.partition, {out.segment_index, static_cast<uint32_t>(fh.frame_bytes()), pos}});
      x->offsets.push_back(Offset{fh.offset});
      pos += fh.frame_bytes();
      h += kFrameHeader;
    }
  }
  int err = 0;
  const bool ok = write_all(out.segment->fd, iov, out.start, &err);
  mu_.lock();
  if (!ok && is_disk_refusal(err)) return note_refusal(err, "writing " + out.segment->path);
  if (!ok) {
    sticky_error_ = Status::IoError("appending to " + describe() + ": writing " +
                                    fs::path(out.segment->path).filename().string() + ": " +
                                    std::strerror(err) + "; reopen the log");
    return sticky_error_;
  }
  out.end = pos;
  write_end_ = pos;
  assigned_ = std::move(next);
  return Status::Ok();
}

Status SegmentLog::sync_group(const Written& w) {
  if (!options_.sync) return Status::Ok();
  mu_.unlock();
  const int r = ::fdatasync(w.segment->fd);
  const int err = r == 0 ? 0 : errno;
  mu_.lock();
  if (r == 0) return Status::Ok();
  // If nothing was written after it, a refused sync takes the group back as
  // a refused write would.
  const bool last = !writing_ && write_end_ == w.end && segments_.back() == w.segment;
  if (is_disk_refusal(err) && last) {
    write_end_ = w.start;
    assigned_ = w.first;
    return note_refusal(err, "syncing " + w.segment->path);
  }
  // After a failed fsync the file's state is unknown: every later append
  // fails until the log is reopened (which scans what is really there).
  sticky_error_ = Status::IoError("appending to " + describe() + ": syncing " +
                                  fs::path(w.segment->path).filename().string() + ": " +
                                  std::strerror(err) + "; reopen the log");
  return sticky_error_;
}

void SegmentLog::publish(const Written& w) {
  for (const Placed& x : w.placed) index_[x.partition].push_back(x.entry);
  durable_segment_ = w.segment_index;
  active_end_ = w.end;
  commits_.fetch_add(1, std::memory_order_relaxed);
  if (!disk_error_.ok()) {
    std::fprintf(stderr, "tally: the embedded log at %s takes appends again\n", options_.dir.c_str());
    disk_error_ = rocksdb::Status::OK();
  }
}

Status SegmentLog::roll() {
  const uint32_t number = segments_.back()->number + 1;
  const std::string path = options_.dir + "/" + segment_name(number);
  mu_.unlock();
  int err = 0;
  Result<int> fd = create_segment(options_.dir, path, &err);
  mu_.lock();
  if (!fd.ok()) {
    ::unlink(path.c_str());  // tried again with the next group
    if (is_disk_refusal(err)) return note_refusal(err, "creating " + path);
    return fd.status();
  }
  segments_.push_back(std::make_shared<Segment>(number, path, *fd));
  write_end_ = 0;
  return Status::Ok();
}

Status SegmentLog::note_refusal(int err, const std::string& what) {
  const rocksdb::Status s = refusal(err, what);
  if (disk_error_.ok()) log_disk_failure("the embedded log", options_.dir, s);
  disk_error_ = s;
  // Nothing of the group stays: it was never acknowledged, and its bytes
  // must not sit in front of the next group. (Groups before it, written and
  // maybe still syncing, end at write_end_.)
  if (::ftruncate(segments_.back()->fd, static_cast<off_t>(write_end_)) != 0) {
    sticky_error_ = Status::IoError("appending to " + describe() +
                                    ": cutting back a refused write failed: " +
                                    std::strerror(errno) + "; reopen the log");
    return sticky_error_;
  }
  last_resume_ = std::chrono::steady_clock::now();
  return refused();
}

Status SegmentLog::try_resume() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_resume_ < kResumeInterval) return refused();
  last_resume_ = now;
  // Room for the next group: reserve some past the end (the file's size
  // stays). File systems without fallocate let the next write tell.
  const int fd = segments_.back()->fd;
  const off_t end = static_cast<off_t>(write_end_);
  mu_.unlock();
  const int r = ::fallocate(fd, FALLOC_FL_KEEP_SIZE, end, kProbeBytes);
  const int err = r == 0 ? 0 : errno;
  mu_.lock();
  if (r != 0 && is_disk_refusal(err)) return refused();
  return Status::Ok();
}

Status SegmentLog::append_condition() {
  tally::UniqueLock lock(mu_);
  if (!sticky_error_.ok()) return sticky_error_;
  if (disk_error_.ok()) return Status::Ok();
  if (!writers_.empty() || writing_) return refused();
  TALLY_RETURN_IF_ERROR(try_resume());
  std::fprintf(stderr, "tally: the embedded log at %s takes appends again\n", options_.dir.c_str());
  disk_error_ = rocksdb::Status::OK();
  return Status::Ok();
}

// Sealed segments are hard-linked (never written again); the active one is
// copied up to its durable end: every append acknowledged before the call.
Status SegmentLog::checkpoint(const std::string& dir) {
  std::vector<std::shared_ptr<Segment>> segments;
  uint64_t end;
  size_t durable;
  {
    tally::MutexLock lock(mu_);
    segments = segments_;
    end = active_end_;
    durable = durable_segment_;
  }
  std::error_code ec;
  if (!fs::create_directory(dir, ec) || ec) {
    return Status::IoError("checkpointing " + describe() + ": creating " + dir + ": " +
                           (ec ? ec.message() : "it exists already"));
  }
  TALLY_RETURN_IF_ERROR(write_meta(dir, options_.partitions));
  for (size_t i = 0; i < segments.size(); i++) {
    const std::string to = dir + "/" + segment_name(segments[i]->number);
    // Before the durable segment: sealed, whole. After it: nothing durable yet.
    const bool sealed = i < durable;
    if (sealed && ::link(segments[i]->path.c_str(), to.c_str()) == 0) continue;
    uint64_t bytes = i == durable ? end : 0;
    if (sealed) {
      const off_t size = ::lseek(segments[i]->fd, 0, SEEK_END);
      if (size < 0) return Status::IoError("checkpointing " + describe() + ": " + std::strerror(errno));
      bytes = static_cast<uint64_t>(size);
    }
    TALLY_RETURN_IF_ERROR(copy_prefix(segments[i]->path, to, bytes));
  }
  TALLY_RETURN_IF_ERROR(sync_dir(dir));
  return sync_dir(fs::path(dir).parent_path().string());
}

Result<std::vector<LogRecord>> SegmentLog::read_from(Partition p, Offset from, size_t max,
                                                     std::chrono::milliseconds wait) {
  std::vector<IndexEntry> entries;
  std::vector<std::shared_ptr<Segment>> segments;
  {
    tally::UniqueLock lock(mu_);
    const auto& idx = index_[p.value];
    appended_.wait_for(lock.native(), wait, [&]() REQUIRES(mu_) { return idx.size() > from.value; });
    if (idx.size() <= from.value) return std::vector<LogRecord>{};
    const size_t n = std::min<uint64_t>(max, idx.size() - from.value);
    entries.assign(idx.begin() + static_cast<ptrdiff_t>(from.value),
                   idx.begin() + static_cast<ptrdiff_t>(from.value + n));
    segments = segments_;
  }
  std::vector<LogRecord> out;
  out.reserve(entries.size());
  TALLY_RETURN_IF_ERROR(read_entries(p, from.value, entries, segments, out));
  return out;
}

// Reads neighbouring frames with one pread where they lie back to back.
Status SegmentLog::read_entries(Partition p, uint64_t from, const std::vector<IndexEntry>& entries,
                                const std::vector<std::shared_ptr<Segment>>& segments,
                                std::vector<LogRecord>& out) {
  std::vector<char> buf;
  for (size_t i = 0; i < entries.size();) {
    size_t j = i + 1;
    uint64_t span = entries[i].bytes;
    while (j < entries.size() && entries[j].segment == entries[i].segment &&
           entries[j].pos == entries[i].pos + span && span + entries[j].bytes <= kMaxReadBytes) {
      span += entries[j++].bytes;
    }
    const Segment& seg = *segments[entries[i].segment];
    buf.resize(span);
    size_t got = 0;
    while (got < span) {
      const ssize_t r = ::pread(seg.fd, buf.data() + got, span - got,
                                static_cast<off_t>(entries[i].pos + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        return Status::IoError("reading partition " + std::to_string(p.value) + " at offset " +
                               std::to_string(from + i) + " of " + describe() + ": segment file " +
                               fs::path(seg.path).filename().string() + ": " +
                               (r < 0 ? std::strerror(errno) : "file shorter than its index"));
      }
      got += static_cast<size_t>(r);
    }
    for (size_t k = i, at = 0; k < j; at += entries[k++].bytes) {
      const char* f = buf.data() + at;
      const uint64_t offset = from + k;
      HeaderFault fault;
      const std::optional<FrameHeader> h = decode_header(f, &fault);
      const bool good = h && h->partition == p.value && h->offset == offset &&
                        h->frame_bytes() == entries[k].bytes &&
                        crc32c(f + kFrameHeader, entries[k].bytes - kFrameHeader) == h->body_crc;
      if (!good) {
        return Status::Corruption("reading partition " + std::to_string(p.value) + " at offset " +
                                  std::to_string(offset) + " of " + describe() +
                                  ": damaged record in segment file " +
                                  fs::path(seg.path).filename().string() + " at byte " +
                                  std::to_string(entries[k].pos) + " (checksum mismatch); never "
                                  "skipped (docs/operations.md, \"When the disk fails\")");
      }
      LogRecord r;
      r.partition = p;
      r.offset = Offset{offset};
      r.append_time = Timestamp{h->append_time};
      r.key.assign(f + kFrameHeader, f + kFrameHeader + h->key_len);
      r.value.assign(f + kFrameHeader + h->key_len, f + entries[k].bytes);
      out.push_back(std::move(r));
    }
    i = j;
  }
  return Status::Ok();
}

Result<std::vector<LogRecord>> SegmentReader::next(size_t max_records,
                                                   std::chrono::milliseconds wait) {
  auto r = log_->read_from(p_, pos_, max_records, wait);
  if (r.ok() && !r->empty()) pos_ = r->back().offset.next();
  return r;
}

// Takes the writer's lock on `dir` (an open-file-description lock on LOCK,
// as RocksDB takes its own, so tools can see it held: F_OFD_GETLK);
// returns its descriptor.
Result<int> lock_dir(const std::string& dir) {
  const std::string path = dir + "/" + kLockFile;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("opening " + path + ": " + std::strerror(errno));
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  if (::fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EAGAIN || err == EACCES) {
      return Status::IoError("the embedded log at " + dir + " is in use by another process (lock " +
                             path + ")");
    }
    return Status::IoError("locking " + path + ": " + std::strerror(err));
  }
  return fd;
}

// Creates the log's files in `dir` when it holds none yet.
Status create_log(const std::string& dir, uint32_t partitions) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("creating " + dir + ": " + ec.message());
  TALLY_RETURN_IF_ERROR(sync_dir(fs::absolute(dir).parent_path().string()));
  return write_meta(dir, partitions);
}

}  // namespace

bool is_segment_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(dir + "/" + kMetaFile, ec)) return true;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (parse_segment_name(e.path().filename().string())) return true;
  }
  return false;
}

Result<std::unique_ptr<Log>> open_segment_log(const EmbeddedLogOptions& options) {
  EmbeddedLogOptions effective = options;
  std::error_code ec;
  if (!fs::exists(options.dir + "/" + kMetaFile, ec) && is_segment_dir(options.dir)) {
    return Status::Corruption("the embedded log at " + options.dir + " holds segment files but "
                              "not its meta file " + kMetaFile + " (which fixes the partition "
                              "count). Restore the data directory from a checkpoint "
                              "(docs/operations.md, \"When the disk fails\")");
  }
  if (!is_segment_dir(options.dir)) {
    if (options.read_only) {
      return Status::NotFound("no embedded log at " + options.dir + " (no partition count stored)");
    }
    if (effective.partitions == 0) effective.partitions = kDefaultPartitions;
    TALLY_RETURN_IF_ERROR(create_log(options.dir, effective.partitions));
  }
  int lock_fd = -1;
  if (!options.read_only) {
    TALLY_ASSIGN_OR_RETURN(lock_fd, lock_dir(options.dir));
  }
  Result<uint32_t> stored = read_meta(options.dir);
  auto fail = [&](Status s) -> Result<std::unique_ptr<Log>> {
    if (lock_fd >= 0) ::close(lock_fd);
    return s;
  };
  if (!stored.ok()) return fail(stored.status());
  if (options.partitions != 0 && options.partitions != *stored) {
    return fail(Status::InvalidArgument("the embedded log at " + options.dir + " has " +
                                        std::to_string(*stored) + " partitions, not " +
                                        std::to_string(options.partitions)));
  }
  effective.partitions = *stored;
  Result<std::vector<uint32_t>> numbers = list_segments(options.dir);
  if (!numbers.ok()) return fail(numbers.status());
  if (numbers->empty() && !options.read_only) {
    int err = 0;
    Result<int> fd = create_segment(options.dir, options.dir + "/" + segment_name(0), &err);
    if (!fd.ok()) return fail(fd.status());
    ::close(*fd);
    numbers->push_back(0);
  }
  std::vector<std::string> paths;
  for (uint32_t n : *numbers) paths.push_back(options.dir + "/" + segment_name(n));
  Result<ScanResult> scan = scan_segments(options.dir, paths, effective.partitions);
  if (!scan.ok()) return fail(scan.status());
  std::vector<std::shared_ptr<Segment>> segments;
  for (size_t i = 0; i < paths.size(); i++) {
    const bool active = i + 1 == paths.size() && !options.read_only;
    const int fd = ::open(paths[i].c_str(), (active ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return fail(Status::IoError("opening " + paths[i] + ": " + std::strerror(errno)));
    segments.push_back(std::make_shared<Segment>((*numbers)[i], paths[i], fd));
  }
  if (scan->torn_bytes > 0 && !options.read_only) {
    // A write that never completed, so never acknowledged.
    std::fprintf(stderr, "tally: the embedded log at %s: dropping %llu bytes of a torn last write "
                 "(never acknowledged) at byte %llu of %s\n", options.dir.c_str(),
                 static_cast<unsigned long long>(scan->torn_bytes),
                 static_cast<unsigned long long>(scan->last_end), paths.back().c_str());
    if (::ftruncate(segments.back()->fd, static_cast<off_t>(scan->last_end)) != 0 ||
        ::fdatasync(segments.back()->fd) != 0) {
      return fail(Status::IoError("cutting the torn last write off " + paths.back() + ": " +
                                  std::strerror(errno)));
    }
  }
  auto log = std::make_unique<SegmentLog>(effective, lock_fd);
  log->adopt(std::move(segments), std::move(*scan));
  return std::unique_ptr<Log>(std::move(log));
}

}  // namespace tally::segment
