// File system steps of the segment log (internal to engine/log): each
// returns a Status naming the file and the system's words. A write the disk
// refused (full, over quota, read-only, not writable) is resource_exhausted
// through disk_refused(); other failures are io_error.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace tally::segment {

// Whether `err` (an errno) says the disk refused a write.
bool is_disk_refusal(int err);

// fsyncs the directory `dir`.
Status sync_dir(const std::string& dir);

// Writes the meta file of a new log with `partitions` into `dir`
// (temp file, fsync, rename, fsync of `dir`).
Status write_meta(const std::string& dir, uint32_t partitions);
// The partition count stored in `dir`'s meta file.
Result<uint32_t> read_meta(const std::string& dir);

// Creates the empty segment file `path` (O_EXCL), fsyncs it and its
// directory; returns its descriptor opened for writing. `err` gets errno
// on failure.
Result<int> create_segment(const std::string& dir, const std::string& path, int* err);

// Writes all of `iov` at `pos` (pwritev, as few calls as IOV_MAX allows).
// On failure returns false with errno in `*err`.
bool write_all(int fd, std::vector<iovec>& iov, uint64_t pos, int* err);

// Copies the first `bytes` of `from` into the new file `to` and fsyncs it.
Status copy_prefix(const std::string& from, const std::string& to, uint64_t bytes);

// The segment files of `dir`, sorted by number; corruption when the
// numbers have a gap.
Result<std::vector<uint32_t>> list_segments(const std::string& dir);

}  // namespace tally::segment
