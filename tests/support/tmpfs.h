// Test support: a small tmpfs mounted by the test (storage-fault tests: a
// disk that fills up), and a file that fills it. Mounting needs root (or
// CAP_SYS_ADMIN); where it is refused, `mounted()` is false and the test
// says why and skips.
#pragma once

#include <string>

namespace tally::test {

class Tmpfs {
 public:
  // Mounts a tmpfs of `bytes` at `dir` (created if missing).
  Tmpfs(const std::string& dir, size_t bytes);
  ~Tmpfs();  // unmounts (lazily: a killed process may still hold files)
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_not_; }
  // Writes a file in the tmpfs until the disk is full; returns its bytes.
  size_t fill();
  // Removes what fill() wrote.
  void unfill();

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string why_not_;
};

}  // namespace tally::test
