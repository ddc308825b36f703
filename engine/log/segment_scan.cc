#include "engine/log/segment_scan.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "engine/log/crc32c.h"
#include "engine/log/segment_format.h"

namespace tally::segment {
namespace {

constexpr size_t kWindow = 8u << 20;
constexpr size_t kListed = 16;  // partitions named in a message, at most

// A read-only file read forward through one window buffer.
class Window {
 public:
  Window(int fd, uint64_t size) : fd_(fd), size_(size) {}
  uint64_t size() const { return size_; }
  // `n` bytes at `pos` (REQUIRES: pos + n <= size()); nullptr on a read error.
  const char* at(uint64_t pos, size_t n) {
    if (pos >= start_ && pos + n <= start_ + len_) return buf_.data() + (pos - start_);
    const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, kWindow), size_ - pos));
    buf_.resize(std::max(buf_.size(), want));
    size_t got = 0;
    while (got < want) {
      const ssize_t r = ::pread(fd_, buf_.data() + got, want - got, static_cast<off_t>(pos + got));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return nullptr;
      got += static_cast<size_t>(r);
    }
    start_ = pos;
    len_ = want;
    return buf_.data();
  }

 private:
  int fd_;
  uint64_t size_;
  std::vector<char> buf_;
  uint64_t start_ = 0;
  size_t len_ = 0;
};

enum class Fault { none, torn, damaged };

struct Step {
  Fault fault = Fault::none;
  std::string why;        // for damage
  FrameHeader header;     // when fault == none
};

bool zeros_to_end(Window& w, uint64_t pos) {
  while (pos < w.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(1u << 20, w.size() - pos));
    const char* p = w.at(pos, n);
    if (p == nullptr) return false;
    for (size_t i = 0; i < n; i++) {
      if (p[i] != 0) return false;
    }
    pos += n;
  }
  return true;
}

// The frame at `pos`, checked on its own (not its place in the sequence).
Step check_frame(Window& w, uint64_t pos, uint32_t partitions) {
  Step s;
  if (w.size() - pos < kFrameHeader) {
    s.fault = Fault::torn;
    return s;
  }
  const char* h = w.at(pos, kFrameHeader);
  if (h == nullptr) return {Fault::damaged, "the file could not be read", {}};
  HeaderFault hf;
  const std::optional<FrameHeader> header = decode_header(h, &hf);
  if (!header) {
    if (zeros_to_end(w, pos)) return {Fault::torn, "", {}};
    return {Fault::damaged, hf == HeaderFault::magic ? "no frame starts here (bad magic)"
                                                     : "frame header checksum mismatch", {}};
  }
  if (header->partition >= partitions) {
    return {Fault::damaged, "frame names partition " + std::to_string(header->partition) +
                                " of a log with " + std::to_string(partitions), {}};
  }
  if (header->value_len > kMaxValueBytes) {
    return {Fault::damaged, "frame value length " + std::to_string(header->value_len) +
                                " is over the limit", {}};
  }
  if (w.size() - pos < header->frame_bytes()) {
    s.fault = Fault::torn;
    return s;
  }
  const char* body = w.at(pos + kFrameHeader, header->frame_bytes() - kFrameHeader);
  if (body == nullptr) return {Fault::damaged, "the file could not be read", {}};
  if (crc32c(body, header->frame_bytes() - kFrameHeader) != header->body_crc) {
    return {Fault::damaged, "record checksum mismatch (partition " +
                                std::to_string(header->partition) + " offset " +
                                std::to_string(header->offset) + ")", {}};
  }
  s.header = *header;
  return s;
}

struct OpenFile {
  int fd = -1;
  uint64_t size = 0;
  ~OpenFile() {
    if (fd >= 0) ::close(fd);
  }
};

Status open_file(const std::string& path, OpenFile* f) {
  f->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd < 0) return Status::IoError("opening " + path + ": " + std::strerror(errno));
  const off_t end = ::lseek(f->fd, 0, SEEK_END);
  if (end < 0) return Status::IoError("reading the size of " + path + ": " + std::strerror(errno));
  f->size = static_cast<uint64_t>(end);
  return Status::Ok();
}

// Valid frames found past the damage, by searching for the next frame that
// passes every check: the lowest and highest offset per partition.
struct PastDamage {
  std::vector<uint64_t> low, high;
  std::vector<bool> seen;
};

void skim(Window& w, uint64_t pos, uint32_t partitions, PastDamage& past) {
  while (pos < w.size()) {
    const Step s = check_frame(w, pos, partitions);
    if (s.fault != Fault::none) {
      pos++;
      continue;
    }
    const uint32_t p = s.header.partition;
    if (!past.seen[p]) past.low[p] = s.header.offset;
    past.seen[p] = true;
    past.low[p] = std::min(past.low[p], s.header.offset);
    past.high[p] = std::max(past.high[p], s.header.offset);
    pos += s.header.frame_bytes();
  }
}

std::string damage_message(const std::string& dir, const std::string& file, uint64_t pos,
                           const std::string& why, const std::vector<std::vector<IndexEntry>>& index,
                           const PastDamage& past) {
  std::string msg = "the embedded log at " + dir + " is damaged before its end (segment file " +
                    file + ", byte " + std::to_string(pos) + ": " + why + ")";
  msg += ". Records written after the damage were acknowledged: opening would drop them and "
         "give their offsets to other records, so the log refuses to open. At stake are the "
         "records at and after ";
  for (size_t p = 0; p < index.size() && p < kListed; p++) {
    msg += std::string(p ? ", " : "") + "partition " + std::to_string(p) + " from offset " +
           std::to_string(index[p].size());
  }
  if (index.size() > kListed) msg += ", ...";
  std::string skimmed;
  size_t listed = 0;
  for (size_t p = 0; p < index.size() && listed < kListed; p++) {
    if (!past.seen[p]) continue;
    skimmed += std::string(listed++ ? ", " : "") + "partition " + std::to_string(p) +
               " offsets " + std::to_string(past.low[p]) + " to " + std::to_string(past.high[p]);
  }
  msg += skimmed.empty() ? "; nothing past the damage can be read"
                         : "; past the damage, by skipping it: " + skimmed;
  msg += ". Restore the data directory from a checkpoint and re-send what was acknowledged "
         "since (docs/operations.md, \"When the disk fails\")";
  return msg;
}

}  // namespace

Result<ScanResult> scan_segments(const std::string& dir, const std::vector<std::string>& paths,
                                 uint32_t partitions) {
  ScanResult out;
  out.index.resize(partitions);
  for (size_t i = 0; i < paths.size(); i++) {
    OpenFile f;
    TALLY_RETURN_IF_ERROR(open_file(paths[i], &f));
    Window w(f.fd, f.size);
    const bool last = i + 1 == paths.size();
    uint64_t pos = 0;
    Step s;
    while (pos < w.size()) {
      s = check_frame(w, pos, partitions);
      if (s.fault == Fault::none && s.header.offset != out.index[s.header.partition].size()) {
        s.fault = Fault::damaged;
        s.why = "partition " + std::to_string(s.header.partition) + " offset " +
                std::to_string(s.header.offset) + " follows offset " +
                std::to_string(out.index[s.header.partition].size()) + " - 1";
      }
      if (s.fault != Fault::none) break;
      out.index[s.header.partition].push_back(
          {static_cast<uint32_t>(i), static_cast<uint32_t>(s.header.frame_bytes()), pos});
      pos += s.header.frame_bytes();
    }
    if (pos == w.size()) {
      if (last) out.last_end = pos;
      continue;
    }
    if (s.fault == Fault::torn && last) {
      out.last_end = pos;
      out.torn_bytes = w.size() - pos;
      return out;
    }
    if (s.fault == Fault::torn) s.why = "a sealed segment ends inside a frame";
    PastDamage past{std::vector<uint64_t>(partitions), std::vector<uint64_t>(partitions),
                    std::vector<bool>(partitions)};
    skim(w, pos + 1, partitions, past);
    for (size_t j = i + 1; j < paths.size(); j++) {
      OpenFile g;
      if (!open_file(paths[j], &g).ok()) continue;
      Window wj(g.fd, g.size);
      skim(wj, 0, partitions, past);
    }
    const std::string file = std::filesystem::path(paths[i]).filename().string();
    return Status::Corruption(damage_message(dir, file, pos, s.why, out.index, past));
  }
  return out;
}

}  // namespace tally::segment
