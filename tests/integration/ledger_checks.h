// Checks the crash tests run on a data directory once its writer is gone:
// `tally reconcile` (every invariant, across partitions too) and `tally
// replay --verify` (a clean replay of the log reproduces every partition's
// digest at the live store's offset). Both as processes, as an operator
// would run them.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tally::test {

// REQUIRES: no process writes `data_dir` (its stores are flushed).
inline void check_reconcile_and_replay(const std::string& data_dir, const std::string& into,
                                       uint32_t partitions) {
  const Captured rec = run_captured({tally_bin(), "reconcile", "--data", data_dir}, "", std::chrono::seconds(60));
  CHECK_MESSAGE(rec.exit_code == 0, "tally reconcile: " << rec.out << rec.err);
  const Captured rep = run_captured({tally_bin(), "replay", "--data", data_dir, "--into", into, "--verify"}, "",
                                    std::chrono::seconds(60));
  CHECK_MESSAGE(rep.exit_code == 0, "tally replay --verify: " << rep.out << rep.err);
  const std::string all = std::to_string(partitions);
  CHECK_MESSAGE(rep.out.find("verify: " + all + " of " + all + " partitions match") != std::string::npos, rep.out);
}

}  // namespace tally::test
