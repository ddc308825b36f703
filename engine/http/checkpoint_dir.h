// Where POST /v1/admin/checkpoint may write: only under the directory
// `tally serve --checkpoint-root DIR` names (docs/http-api.md "Operator
// actions"). Thread-safe: a pure function over the file system.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tally::http {

// The absolute path for the request's "dir": a relative name ("2024-06-01",
// "daily/2024-06-01") is taken under `root`; an absolute path must lie
// inside `root`. Errors are invalid_argument naming the rule and never the
// root's path: control characters (NUL included), "..", a path outside the
// root (/proc, /etc, ...), a parent that is missing or not a directory, a
// symbolic link leading out of the root, a target that exists (a file or a
// directory). failed_precondition when `root` is empty: checkpoints are off.
Result<std::string> checkpoint_target(const std::string& root, std::string_view dir);

}  // namespace tally::http
