#include "tools/tally/serve_group.h"

#include <iostream>

namespace tally::cli {

namespace {
std::string list(const std::vector<Partition>& ps) {
  std::string out;
  for (const Partition& p : ps) out += (out.empty() ? "" : ",") + std::to_string(p.value);
  return out;
}
}  // namespace

http::Membership ServeGroup::membership() {
  http::Membership m;
  m.owner = [this](Partition p) -> std::optional<std::string> {
    KafkaGroup* g = joined_.load();
    if (g == nullptr) return std::nullopt;
    std::optional<std::string> o = g->owner(p);
    // Ourselves, for a partition the node does not run: it failed to start
    // here (health says why); sending clients back to us would loop.
    if (o && *o == g->advertise()) return std::nullopt;
    return o;
  };
  m.health = [this] {
    KafkaGroup* g = joined_.load();
    if (g == nullptr) return ComponentHealth{"group", false, false, "joining the consumer group"};
    return group_health(g->status(), g->advertise(), node_.partition_count());
  };
  return m;
}

Status ServeGroup::join(KafkaGroupOptions options) {
  GroupHooks hooks;
  const std::string me = "tally serve (" + options.advertise + "): ";
  hooks.assigned = [this, me](const std::vector<Partition>& ps) {
    std::cerr << me << "assigned partitions " << list(ps) << std::endl;
    const Status s = node_.acquire(ps);
    if (!s.ok()) std::cerr << me << s.to_string() << " (see /health)" << std::endl;
  };
  hooks.revoked = [this, me](const std::vector<Partition>& ps) {
    std::cerr << me << "handing over partitions " << list(ps) << std::endl;
    node_.release(ps);
  };
  hooks.applied = [this](Partition p) { return node_.pipeline(p).applied(); };
  options.partition_count = node_.partition_count();
  TALLY_ASSIGN_OR_RETURN(group_, join_kafka_group(std::move(options), std::move(hooks)));
  joined_ = group_.get();
  return Status::Ok();
}

void ServeGroup::leave() {
  if (group_) group_->leave();  // releases every partition through hooks.revoked
  joined_ = nullptr;
}

ComponentHealth group_health(const GroupStatus& s, const std::string& advertise, uint32_t partitions) {
  ComponentHealth c{"group", false, true, ""};
  c.detail = "member of group " + s.group + " as " + advertise;
  if (!s.member_id.empty()) c.detail += " (member id " + s.member_id + ")";
  if (!s.joined) {
    c.ok = false;
    c.detail += ": waiting for the first assignment";
  } else {
    c.detail += ": owns " + std::to_string(s.assigned.size()) + " of " + std::to_string(partitions) +
                " partitions, owners known for " + std::to_string(s.owners_known) + "; " +
                std::to_string(s.rebalances) + " rebalance callbacks (" + std::to_string(s.lost) +
                " of an assignment lost), " + std::to_string(s.commits) + " commits";
    if (s.records_dropped > 0) c.detail += ", " + std::to_string(s.records_dropped) + " records dropped";
  }
  if (!s.error.ok()) {
    c.ok = false;
    c.detail += "; last error: " + s.error.to_string();
  }
  return c;
}

}  // namespace tally::cli
