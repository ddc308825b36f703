// Test support: a fresh directory under $TMPDIR (or /tmp), removed with
// everything in it when the object dies (unless TALLY_KEEP_TEMP is set).
#pragma once

#include <string>

namespace tally::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "tally-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The `tally` binary under test ($TALLY_BIN, set by meson).
std::string tally_bin();

}  // namespace tally::test
