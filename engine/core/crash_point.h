// Crash points: named places where a test can make the process die as if
// by kill -9, to prove recovery at every step boundary (in the manner of
// RocksDB's sync points, reduced to what crash tests need).
//
// TALLY_CRASH_AT="name" or "name:N" kills the process (SIGKILL) the N-th
// time (default 1st) execution passes crash_point("name"). Unset: every
// crash point is one relaxed atomic load. Names are listed in docs/testing.md.
#pragma once

#include <string_view>

namespace tally {

void crash_point(std::string_view name);

// Whether TALLY_CRASH_AT names a crash point: callers that must compute a
// point's name skip that work when it is false.
bool crash_points_armed();

}  // namespace tally
