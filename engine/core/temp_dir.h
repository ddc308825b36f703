// A new, uniquely named directory (mkdtemp), for tools and benchmarks that
// work in a scratch directory. The caller owns it and removes it.
#pragma once

#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tally {

// Creates PARENT/PREFIX-XXXXXX with a unique suffix and returns its path.
// An empty `parent` means $TMPDIR, or /tmp when that is unset. The error
// names the path tried and the system's reason (e.g. no space left).
Result<std::string> make_temp_dir(std::string_view prefix, std::string_view parent = {});

}  // namespace tally
