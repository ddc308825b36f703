#include "engine/core/temp_dir.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tally {

Result<std::string> make_temp_dir(std::string_view prefix, std::string_view parent) {
  std::string dir(parent);
  if (dir.empty()) {
    const char* base = std::getenv("TMPDIR");
    dir = base != nullptr && *base != '\0' ? base : "/tmp";
  }
  const std::string pattern = dir + "/" + std::string(prefix) + "-XXXXXX";
  std::string templ = pattern;  // mkdtemp fills in the X's, even when it fails
  if (mkdtemp(templ.data()) == nullptr) {
    return Status::IoError("cannot create a directory " + pattern + ": " + std::strerror(errno));
  }
  return templ;
}

}  // namespace tally
