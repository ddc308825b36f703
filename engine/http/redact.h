// Keeping the host's paths out of what clients see (docs/operations.md
// "Securing Tally"): the server passes every answer's body through
// redact() before sending it; what it changed goes to the operator's log in
// full. Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tally::http {

// A directory the server knows (the data directory, the checkpoint root)
// and the label clients see instead: "/var/lib/tally/partitions/3" ->
// "<data>/partitions/3".
struct Redaction {
  std::string path;   // absolute
  std::string label;  // "<data>"
};

// Replaces each known path (as given and in canonical form) by its label.
// With `any_path` also every other absolute host path ("/etc/x/y" ->
// "<path>"), except API routes (/v1/..., /health, /metrics): for error
// answers and /health, whose text may quote a library's message.
std::string redact(std::string_view text, const std::vector<Redaction>& known, bool any_path);

// The redactions for these directories, each also in canonical form when
// that differs (symbolic links); empty paths are skipped.
std::vector<Redaction> redactions_for(const std::vector<Redaction>& dirs);

}  // namespace tally::http
