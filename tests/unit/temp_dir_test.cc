#include "engine/core/temp_dir.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "tests/fixtures/temp_dir.h"

namespace tally {
namespace fs = std::filesystem;

TEST_CASE("make_temp_dir creates a new directory with a unique name under the parent") {
  test::TempDir parent("temp-dir-test");
  Result<std::string> a = make_temp_dir("scratch", parent.path());
  Result<std::string> b = make_temp_dir("scratch", parent.path());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a != *b);
  CHECK(fs::is_directory(*a));
  CHECK(fs::path(*a).parent_path() == fs::path(parent.path()));
  CHECK(fs::path(*a).filename().string().starts_with("scratch-"));
  CHECK(fs::is_empty(*a));
}

TEST_CASE("make_temp_dir names the path and the reason when it cannot create the directory") {
  test::TempDir parent("temp-dir-test");
  const std::string missing = parent.path() + "/no/such/parent";
  Result<std::string> r = make_temp_dir("scratch", missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::io_error);
  CHECK(r.status().message().find(missing + "/scratch-XXXXXX") != std::string::npos);
  CHECK(r.status().message().find("No such file or directory") != std::string::npos);
}

}  // namespace tally
