// The --data DIR of a `tally bench` mode: created, with its parents, when
// it is missing, so a run may name a directory that does not exist yet.
#pragma once

#include <string>

#include "engine/core/status.h"

namespace tally::bench {

// Creates `dir` and any missing parents; Ok when it exists as a directory
// already. Otherwise IoError "cannot create the --data directory DIR: why".
Status create_data_dir(const std::string& dir);

}  // namespace tally::bench
