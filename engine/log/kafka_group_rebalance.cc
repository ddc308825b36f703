// KafkaGroup's member answering the group: assignments and revocations
// (the hooks start and stop the partitions inside the rebalance),
// informational commits, and the lookups of who owns the other partitions.
#include <algorithm>
#include <cstring>

#include "engine/core/thread_annotations.h"
#include "engine/log/kafka_group_impl.h"

namespace tally::kafka {

namespace {

std::vector<Partition> partitions_of(const rd_kafka_topic_partition_list_t* list, const std::string& topic) {
  std::vector<Partition> out;
  for (int i = 0; i < list->cnt; i++) {
    if (topic == list->elems[i].topic) out.push_back(Partition{static_cast<uint32_t>(list->elems[i].partition)});
  }
  std::sort(out.begin(), out.end(), [](Partition a, Partition b) { return a.value < b.value; });
  return out;
}

}  // namespace

void GroupMember::set_error(const Status& s) {
  tally::MutexLock lock(mu_);
  error_ = s;
}

void GroupMember::on_error(int err, const char* reason) {
  set_error(kafka_error(static_cast<rd_kafka_resp_err_t>(err), "group " + options_.group,
                        std::string(" (") + reason + ")"));
}

void GroupMember::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    assign(parts, cooperative);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    revoke(parts, cooperative);
  } else {
    // librdkafka could not complete the rebalance: own nothing until the next one.
    set_error(kafka_error(err, "rebalancing group " + options_.group));
    std::vector<Partition> all;
    {
      tally::MutexLock lock(mu_);
      for (uint32_t p : assigned_) all.push_back(Partition{p});
      assigned_.clear();
    }
    hooks_.revoked(all);
    rd_kafka_assign(rk_, nullptr);
  }
}

// The consumer takes the partitions paused, from their end: it never reads
// records (the pipelines do, through their own readers).
void GroupMember::assign(rd_kafka_topic_partition_list_t* parts, bool cooperative) {
  for (int i = 0; i < parts->cnt; i++) parts->elems[i].offset = RD_KAFKA_OFFSET_END;
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk_, parts)) {
      set_error(Status::IoError("group " + options_.group + ": accepting an assignment: " + rd_kafka_error_string(e)));
      rd_kafka_error_destroy(e);
    }
  } else if (rd_kafka_resp_err_t e = rd_kafka_assign(rk_, parts); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    set_error(kafka_error(e, "group " + options_.group + ": accepting an assignment"));
  }
  rd_kafka_pause_partitions(rk_, parts);
  const std::vector<Partition> ps = partitions_of(parts, options_.log.topic);
  hooks_.assigned(ps);
  std::string member_id;
  if (char* id = rd_kafka_memberid(rk_)) {
    member_id = id;
    rd_kafka_mem_free(rk_, id);
  }
  {
    tally::MutexLock lock(mu_);
    for (Partition p : ps) {
      assigned_.insert(p.value);
      committed_.at(p.value) = -1;
    }
    joined_ = true;
    rebalances_++;
    member_id_ = member_id;
  }
  commit(ps, true);  // the others learn the new owner now, not at the next interval
}

// Stops the partitions before the group may hand them to another member,
// then commits their final offsets naming no owner.
void GroupMember::revoke(rd_kafka_topic_partition_list_t* parts, bool cooperative) {
  const std::vector<Partition> ps = partitions_of(parts, options_.log.topic);
  const bool lost = rd_kafka_assignment_lost(rk_) != 0;
  {
    tally::MutexLock lock(mu_);
    for (Partition p : ps) assigned_.erase(p.value);
    rebalances_++;
    if (lost) lost_++;
  }
  hooks_.revoked(ps);
  if (!lost) commit(ps, false);
  if (cooperative) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, parts)) {
      set_error(Status::IoError("group " + options_.group + ": giving partitions up: " + rd_kafka_error_string(e)));
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(rk_, nullptr);
  }
}

// Asynchronous: a commit never blocks a rebalance or leaving the group (a
// coordinator that cannot be reached would hold them up); on_commit counts
// the result, and a partition whose commit failed is committed again at the
// next interval.
void GroupMember::commit(const std::vector<Partition>& partitions, bool owned) {
  if (partitions.empty()) return;
  PartitionList list(partitions.size());
  const std::string metadata = owned ? owner_metadata(options_.advertise) : "";
  std::vector<std::pair<uint32_t, int64_t>> offsets;
  for (Partition p : partitions) {
    const int64_t offset = static_cast<int64_t>(hooks_.applied(p).value);
    list.add(options_.log.topic, static_cast<int32_t>(p.value), offset, metadata);
    offsets.emplace_back(p.value, offset);
  }
  if (rd_kafka_resp_err_t e = rd_kafka_commit(rk_, list.get(), 1); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    set_error(kafka_error(e, "committing offsets to group " + options_.group));
    return;
  }
  if (!owned) return;
  tally::MutexLock lock(mu_);
  for (const auto& [p, offset] : offsets) {
    if (assigned_.count(p) != 0) committed_.at(p) = offset;
  }
}

// The progress commits wait for a moment when the group is stable. A
// commit sent while this member rejoins queues behind its JoinGroup (a
// coordinator answers a connection's requests in order), reaches the
// coordinator after the generation moved on and fails with
// ILLEGAL_GENERATION, which makes librdkafka drop the member's partitions
// ("assignment lost") and rebalance once more. librdkafka tells its join
// state only in its statistics: "cgrp": {"state": "up", ... "join_state":
// "steady", ...}. What is left is the moment between the statistics and
// the commit.
void GroupMember::on_stats(std::string_view json) {
  auto field = [&](std::string_view name, size_t from) -> std::string_view {
    const std::string key = "\"" + std::string(name) + "\"";
    size_t at = json.find(key, from);
    if (at == std::string_view::npos) return {};
    at = json.find('"', json.find(':', at + key.size()));
    const size_t end = at == std::string_view::npos ? at : json.find('"', at + 1);
    if (end == std::string_view::npos) return {};
    return json.substr(at + 1, end - at - 1);
  };
  const size_t cgrp = json.find("\"cgrp\"");
  if (cgrp == std::string_view::npos) return;
  if (field("state", cgrp) == "up" && field("join_state", cgrp) == "steady") commit_changed();
}

void GroupMember::commit_changed() {
  std::vector<Partition> changed;
  {
    tally::MutexLock lock(mu_);
    for (uint32_t p : assigned_) {
      if (committed_.at(p) != static_cast<int64_t>(hooks_.applied(Partition{p}).value)) {
        changed.push_back(Partition{p});
      }
    }
  }
  commit(changed, true);
}

void GroupMember::on_commit(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets) {
  tally::MutexLock lock(mu_);
  bool failed = err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET;
  for (int i = 0; offsets != nullptr && i < offsets->cnt; i++) {
    const rd_kafka_topic_partition_t& t = offsets->elems[i];
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && t.err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    failed = true;
    if (t.partition >= 0 && static_cast<size_t>(t.partition) < committed_.size()) committed_[t.partition] = -1;
  }
  if (failed) {
    commit_failures_++;
    error_ = kafka_error(err, "committing offsets to group " + options_.group);
  } else if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    commits_++;
  }
}

void GroupMember::lookup_owners() {
  const uint32_t n = options_.partition_count;
  PartitionList list(n);
  for (uint32_t p = 0; p < n; p++) list.add(options_.log.topic, static_cast<int32_t>(p), RD_KAFKA_OFFSET_INVALID);
  const rd_kafka_resp_err_t e =
      rd_kafka_committed(rk_, list.get(), static_cast<int>(options_.lookup_timeout.count()));
  tally::MutexLock lock(mu_);
  if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    // Kept: the owners last read (a rebalance in progress refuses lookups).
    error_ = kafka_error(e, "reading the owners from group " + options_.group);
    return;
  }
  error_ = Status::Ok();
  for (int i = 0; i < list.get()->cnt; i++) {
    const rd_kafka_topic_partition_t& t = list.get()->elems[i];
    if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR || t.partition < 0 || static_cast<uint32_t>(t.partition) >= n) continue;
    const std::string_view md(static_cast<const char*>(t.metadata), t.metadata == nullptr ? 0 : t.metadata_size);
    owners_[t.partition] = owner_from_metadata(md).value_or("");
  }
}

std::optional<std::string> GroupMember::owner(Partition p) const {
  tally::MutexLock lock(mu_);
  if (assigned_.count(p.value) != 0) return options_.advertise;
  if (p.value >= owners_.size()) return std::nullopt;
  const std::string& o = owners_[p.value];
  // Our own address on a partition we gave up: the new owner has not said so yet.
  if (o.empty() || o == options_.advertise) return std::nullopt;
  return o;
}

GroupStatus GroupMember::status() const {
  tally::MutexLock lock(mu_);
  GroupStatus s;
  s.group = options_.group;
  s.member_id = member_id_;
  s.joined = joined_;
  for (uint32_t p : assigned_) s.assigned.push_back(Partition{p});
  for (uint32_t p = 0; p < owners_.size(); p++) {
    if (assigned_.count(p) != 0 || (!owners_[p].empty() && owners_[p] != options_.advertise)) s.owners_known++;
  }
  s.rebalances = rebalances_;
  s.lost = lost_;
  s.commits = commits_;
  s.commit_failures = commit_failures_;
  s.records_dropped = dropped_;
  s.error = error_;
  return s;
}

}  // namespace tally::kafka
