#include "engine/log/segment_files.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "engine/log/segment_format.h"

namespace tally::segment {
namespace {

std::string sys(const std::string& what, int err) { return what + ": " + std::strerror(err); }

// A descriptor closed at scope end.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool write_bytes(int fd, const char* p, size_t n, uint64_t pos) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(pos));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
    pos += static_cast<uint64_t>(w);
  }
  return true;
}

}  // namespace

bool is_disk_refusal(int err) {
  return err == ENOSPC || err == EDQUOT || err == EROFS || err == EACCES || err == EPERM;
}

Status sync_dir(const std::string& dir) {
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return Status::IoError(sys("opening the directory " + dir, errno));
  if (::fsync(d.fd) != 0) return Status::IoError(sys("syncing the directory " + dir, errno));
  return Status::Ok();
}

Status write_meta(const std::string& dir, uint32_t partitions) {
  const std::string text = "tally segment log 1\npartitions " + std::to_string(partitions) + "\n";
  const std::string tmp = dir + "/" + kMetaFile + ".tmp";
  const std::string path = dir + "/" + kMetaFile;
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    if (f.fd < 0) return Status::IoError(sys("creating " + tmp, errno));
    if (!write_bytes(f.fd, text.data(), text.size(), 0) || ::fsync(f.fd) != 0) {
      return Status::IoError(sys("writing " + tmp, errno));
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::IoError(sys("renaming " + tmp, errno));
  return sync_dir(dir);
}

Result<uint32_t> read_meta(const std::string& dir) {
  const std::string path = dir + "/" + kMetaFile;
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return Status::IoError(sys("opening " + path, errno));
  char buf[128];
  const ssize_t n = ::pread(f.fd, buf, sizeof buf, 0);
  if (n < 0) return Status::IoError(sys("reading " + path, errno));
  const std::string text(buf, static_cast<size_t>(n));
  const std::string head = "tally segment log 1\npartitions ";
  uint32_t parts = 0;
  const char* end = text.data() + text.size();
  if (text.compare(0, head.size(), head) == 0) {
    const auto r = std::from_chars(text.data() + head.size(), end, parts);
    if (r.ec == std::errc() && r.ptr + 1 == end && *r.ptr == '\n' && parts > 0 && parts <= 4096) {
      return parts;
    }
  }
  return Status::Corruption("the embedded log's meta file " + path + " holds \"" + text +
                            "\", not \"" + head + "N\"");
}

Result<int> create_segment(const std::string& dir, const std::string& path, int* err) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    *err = errno;
    return Status::IoError(sys("creating the segment file " + path, *err));
  }
  if (::fsync(fd) != 0) {
    *err = errno;
    ::close(fd);
    return Status::IoError(sys("syncing the segment file " + path, *err));
  }
  const Status s = sync_dir(dir);
  if (!s.ok()) {
    *err = EIO;
    ::close(fd);
    return s;
  }
  return fd;
}

bool write_all(int fd, std::vector<iovec>& iov, uint64_t pos, int* err) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    const ssize_t w = ::pwritev(fd, &iov[first], count, static_cast<off_t>(pos));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      *err = errno;
      return false;
    }
    if (w == 0) {
      *err = ENOSPC;
      return false;
    }
    pos += static_cast<uint64_t>(w);
    size_t left = static_cast<size_t>(w);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (left > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return true;
}

Status copy_prefix(const std::string& from, const std::string& to, uint64_t bytes) {
  Fd in{::open(from.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) return Status::IoError(sys("opening " + from, errno));
  Fd out{::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (out.fd < 0) return Status::IoError(sys("creating " + to, errno));
  std::vector<char> buf(1u << 20);
  for (uint64_t pos = 0; pos < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), bytes - pos));
    const ssize_t r = ::pread(in.fd, buf.data(), n, static_cast<off_t>(pos));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Status::IoError(sys("reading " + from, r < 0 ? errno : EIO));
    if (!write_bytes(out.fd, buf.data(), static_cast<size_t>(r), pos)) {
      return Status::IoError(sys("writing " + to, errno));
    }
    pos += static_cast<uint64_t>(r);
  }
  if (::fsync(out.fd) != 0) return Status::IoError(sys("syncing " + to, errno));
  return Status::Ok();
}

Result<std::vector<uint32_t>> list_segments(const std::string& dir) {
  std::vector<uint32_t> numbers;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (auto n = parse_segment_name(e.path().filename().string())) numbers.push_back(*n);
  }
  if (ec) return Status::IoError("listing " + dir + ": " + ec.message());
  std::sort(numbers.begin(), numbers.end());
  for (size_t i = 1; i < numbers.size(); i++) {
    if (numbers[i] != numbers[i - 1] + 1) {
      return Status::Corruption("the embedded log at " + dir + " lacks the segment file " +
                                segment_name(numbers[i - 1] + 1) + " (its records are lost). "
                                "Restore the data directory from a checkpoint "
                                "(docs/operations.md, \"When the disk fails\")");
    }
  }
  return numbers;
}

}  // namespace tally::segment
