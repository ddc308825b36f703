#include "engine/node/saga_points.h"

#include <string>

#include "engine/core/crash_point.h"

namespace tally {

void SagaSteps::note(const std::vector<Command>& commands, const std::vector<Outcome>& outcomes,
                     const ChangeSet& changes) {
  for (const OutboxEntry& e : changes.outbox) {
    if (std::holds_alternative<SagaCredit>(e.command)) reserve = true;
  }
  if (!changes.legs.empty()) decide = true;
  for (size_t i = 0; i < commands.size() && i < outcomes.size(); i++) {
    if (std::holds_alternative<SagaReply>(commands[i]) &&
        (outcomes[i] == Outcome::saga_completed || outcomes[i] == Outcome::saga_compensated)) {
      settle = true;
    }
  }
}

void SagaSteps::pass(const char* when) const {
  if (!reserve && !decide && !settle) return;
  const std::string prefix = std::string("pipeline.") + when + "_commit.saga_";
  if (reserve) crash_point(prefix + "reserve");
  if (decide) crash_point(prefix + "decide");
  if (settle) crash_point(prefix + "settle");
}

}  // namespace tally
