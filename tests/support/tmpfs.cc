#include "tests/support/tmpfs.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "tests/support/process.h"

namespace tally::test {

Tmpfs::Tmpfs(const std::string& dir, size_t bytes) : dir_(dir) {
  std::filesystem::create_directories(dir);
  const RunResult r = run({"mount", "-t", "tmpfs", "-o", "size=" + std::to_string(bytes), "tmpfs", dir});
  mounted_ = r.exit_code == 0;
  if (!mounted_) why_not_ = "mount -t tmpfs refused (exit " + std::to_string(r.exit_code) + "): " + r.output;
}

Tmpfs::~Tmpfs() {
  if (mounted_) (void)run({"umount", "-l", dir_});
}

size_t Tmpfs::fill() {
  const std::string path = dir_ + "/filler";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return 0;
  const std::vector<char> block(64 << 10, 'f');
  size_t written = 0;
  for (size_t size = block.size(); size > 0;) {
    const ssize_t n = ::write(fd, block.data(), size);
    if (n > 0) {
      written += static_cast<size_t>(n);
    } else {
      size /= 2;  // the last blocks: fill to the last byte
    }
  }
  ::fsync(fd);
  ::close(fd);
  return written;
}

void Tmpfs::unfill() { std::filesystem::remove(dir_ + "/filler"); }

}  // namespace tally::test
