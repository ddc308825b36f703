// tally serve --group: the consumer group membership (engine/log/kafka_group.h)
// wired to the node, whose partitions the group's rebalances acquire and
// release, and to the HTTP API, which learns from it who owns the other
// partitions (docs/operations.md "Several serve processes").
//
// The API starts before the group is joined (the member advertises the
// address the server bound), so the membership it is given answers "not
// known yet" until join() returns. Thread safety: membership()'s functions
// from any thread; join() and leave() from serve's main thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "engine/http/node_backend.h"
#include "engine/log/kafka_group.h"
#include "engine/node/node.h"

namespace tally::cli {

class ServeGroup {
 public:
  // REQUIRES: the node outlives this object and is started.
  explicit ServeGroup(Node& node) : node_(node) {}
  ~ServeGroup() { leave(); }

  http::Membership membership();
  // Joins `options.group`; the node acquires what the group assigns.
  Status join(KafkaGroupOptions options);
  // Leaves the group: the node releases every partition first.
  void leave();

 private:
  Node& node_;
  std::unique_ptr<KafkaGroup> group_;
  std::atomic<KafkaGroup*> joined_{nullptr};
};

// The "group" /health component of a membership.
ComponentHealth group_health(const GroupStatus& s, const std::string& advertise, uint32_t partitions);

}  // namespace tally::cli
