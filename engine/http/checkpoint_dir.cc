#include "engine/http/checkpoint_dir.h"

#include <filesystem>

namespace tally::http {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxDirBytes = 1024;

// Whether `path` is strictly inside `dir` (both absolute and normal).
bool strictly_within(const fs::path& path, const fs::path& dir) {
  auto p = path.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++p) {
    if (d->empty()) continue;  // a trailing separator
    if (p == path.end() || *p != *d) return false;
  }
  for (; p != path.end(); ++p) {
    if (!p->empty()) return true;
  }
  return false;
}

Status field(const std::string& what) { return Status::InvalidArgument("field \"dir\" " + what); }

Status check_text(std::string_view dir) {
  if (dir.empty()) return field("is empty: name a new directory under the checkpoint root");
  if (dir.size() > kMaxDirBytes) return field("is over the limit of " + std::to_string(kMaxDirBytes) + " bytes");
  for (size_t i = 0; i < dir.size(); i++) {
    const unsigned char c = static_cast<unsigned char>(dir[i]);
    if (c < 0x20 || c == 0x7f) return field("has a control character at byte " + std::to_string(i));
  }
  for (const fs::path& part : fs::path(dir)) {
    if (part == "..") return field("must not contain \"..\"");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> checkpoint_target(const std::string& root, std::string_view dir) {
  if (root.empty()) {
    return Status::FailedPrecondition(
        "checkpoints are off: start tally serve with --checkpoint-root DIR to allow them under DIR");
  }
  TALLY_RETURN_IF_ERROR(check_text(dir));
  std::error_code ec;
  const fs::path base = fs::absolute(root, ec).lexically_normal();
  const fs::path asked(dir);
  const fs::path target = (asked.is_absolute() ? asked : base / asked).lexically_normal();
  if (!strictly_within(target, base)) {
    return field("must name a new directory under the checkpoint root (a relative name such as "
                 "\"2024-06-01\", or an absolute path inside the root)");
  }
  const fs::path parent = target.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return field("names a directory whose parent does not exist or is not a directory");
  }
  const fs::path real_base = fs::canonical(base, ec);
  const fs::path real_parent = fs::canonical(parent, ec);
  if (ec || !(real_parent == real_base || strictly_within(real_parent, real_base))) {
    return field("leads out of the checkpoint root (through a symbolic link)");
  }
  if (fs::exists(fs::symlink_status(target, ec))) {
    return field("names something that exists; a checkpoint goes into a new directory");
  }
  return target.string();
}

}  // namespace tally::http
