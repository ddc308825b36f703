// Crash points at the saga coordinator's step boundaries, for the crash
// tests (engine/core/crash_point.h; docs/testing.md lists every point). A
// pipeline notes which saga steps a commit holds and passes
//   pipeline.before_commit.saga_reserve   a commit that reserves (stages a credit leg)
//   pipeline.after_commit.saga_reserve
//   pipeline.before_commit.saga_decide    the destination records its decision on a leg
//   pipeline.after_commit.saga_decide
//   pipeline.before_commit.saga_settle    a reply completes or compensates a saga
//   pipeline.after_commit.saga_settle
// around its commit, beside the generic pipeline.*_commit points. Noting
// costs nothing unless crash points are armed.
#pragma once

#include <vector>

#include "engine/core/command.h"
#include "projections/outcome.h"
#include "projections/state.h"

namespace tally {

struct SagaSteps {
  bool reserve = false;  // a credit leg staged in the outbox (a reservation, or a re-send)
  bool decide = false;   // a destination decision recorded (credited, rejected or cancelled)
  bool settle = false;   // a reply applied as saga_completed or saga_compensated

  // Adds what one record's commands, their outcomes and the changes they
  // made (before the pipeline clears them) hold.
  void note(const std::vector<Command>& commands, const std::vector<Outcome>& outcomes,
            const ChangeSet& changes);
  // Passes pipeline.<when>_commit.saga_<step> for each step noted.
  // `when` is "before" or "after".
  void pass(const char* when) const;
};

}  // namespace tally
