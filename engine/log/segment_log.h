// The segment log: the embedded log's storage for new directories (its
// contract and layout: embedded_log.h; the files: segment_format.h).
// Internal to engine/log; everything else opens it through
// open_embedded_log.
#pragma once

#include <memory>
#include <string>

#include "engine/log/embedded_log.h"

namespace tally::segment {

// Whether `dir` holds a segment log (its meta file, or segment files).
bool is_segment_dir(const std::string& dir);

// Opens the segment log at options.dir, creating it when it holds none
// (unless read_only).
Result<std::unique_ptr<Log>> open_segment_log(const EmbeddedLogOptions& options);

}  // namespace tally::segment
