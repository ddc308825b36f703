#include "bench/data_dir.h"

#include <filesystem>
#include <system_error>

namespace tally::bench {

Status create_data_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec && !std::filesystem::is_directory(dir, ec) && !ec) {
    ec = std::make_error_code(std::errc::not_a_directory);
  }
  if (ec) return Status::IoError("cannot create the --data directory " + dir + ": " + ec.message());
  return Status::Ok();
}

}  // namespace tally::bench
