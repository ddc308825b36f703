#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "engine/core/temp_dir.h"

namespace tally::test {

TempDir::TempDir(const std::string& prefix) {
  Result<std::string> made = make_temp_dir(prefix);
  if (!made.ok()) throw std::runtime_error(made.status().to_string());
  path_ = *made;
}

TempDir::~TempDir() {
  if (std::getenv("TALLY_KEEP_TEMP") != nullptr) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string tally_bin() {
  const char* bin = std::getenv("TALLY_BIN");
  if (bin == nullptr) throw std::runtime_error("TALLY_BIN is not set; run the tests through meson");
  return bin;
}

}  // namespace tally::test
