// Internal to engine/log: the consumer group member behind KafkaGroup
// (kafka_group.h). kafka_group.cc runs it (consumer, threads, leaving);
// kafka_group_rebalance.cc answers the group (assignments, revocations,
// informational commits, owner lookups).
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/thread_annotations.h"
#include "engine/log/kafka_common.h"
#include "engine/log/kafka_group.h"

namespace tally::kafka {

// A librdkafka partition list; owns it.
class PartitionList {
 public:
  explicit PartitionList(size_t n) : list_(rd_kafka_topic_partition_list_new(static_cast<int>(n))) {}
  ~PartitionList() { rd_kafka_topic_partition_list_destroy(list_); }
  PartitionList(const PartitionList&) = delete;
  PartitionList& operator=(const PartitionList&) = delete;

  // Adds `partition` of `topic` at `offset`, with `metadata` (copied; the
  // list frees it).
  void add(const std::string& topic, int32_t partition, int64_t offset, const std::string& metadata = "");
  rd_kafka_topic_partition_list_t* get() { return list_; }

 private:
  rd_kafka_topic_partition_list_t* list_;
};

class GroupMember final : public KafkaGroup {
 public:
  GroupMember(KafkaGroupOptions options, GroupHooks hooks)
      : options_(std::move(options)), hooks_(std::move(hooks)) {}
  ~GroupMember() override { leave(); }

  // Creates the consumer, subscribes, starts the threads.
  Status start();

  void leave() override;
  std::optional<std::string> owner(Partition p) const override;
  GroupStatus status() const override;
  const std::string& advertise() const override { return options_.advertise; }

  // librdkafka's callbacks, on the member thread (served by
  // rd_kafka_consumer_poll and rd_kafka_consumer_close).
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);
  void on_commit(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets);
  void on_error(int err, const char* reason);
  // librdkafka's statistics, every commit_interval: the moment to commit
  // (commit_changed) if they show the group stable.
  void on_stats(std::string_view json);

 private:
  void assign(rd_kafka_topic_partition_list_t* parts, bool cooperative);
  void revoke(rd_kafka_topic_partition_list_t* parts, bool cooperative);
  // Commits the applied offsets of `partitions`, naming this member as
  // their owner (`owned`) or no one (on revocation); the result arrives in
  // on_commit.
  void commit(const std::vector<Partition>& partitions, bool owned);
  // Commits the owned partitions whose applied offset moved since their
  // last commit (or whose last commit failed).
  void commit_changed();
  void member_loop();
  void lookup_loop();
  void lookup_owners();
  void set_error(const Status& s);

  const KafkaGroupOptions options_;
  const GroupHooks hooks_;
  rd_kafka_t* rk_ = nullptr;  // the consumer: set by start(), destroyed by leave()

  std::atomic<bool> stop_{false};
  std::thread member_;  // polls: rebalances, heartbeats, commits
  std::thread lookup_;  // reads the group's committed metadata
  tally::Mutex leave_mu_;
  tally::Mutex lookup_mu_;
  std::condition_variable lookup_cv_;

  mutable tally::Mutex mu_;
  std::set<uint32_t> assigned_ GUARDED_BY(mu_);
  std::vector<int64_t> committed_ GUARDED_BY(mu_);  // last offset committed as owner; -1 none
  std::vector<std::string> owners_ GUARDED_BY(mu_);  // from the lookups; "" unknown
  std::string member_id_ GUARDED_BY(mu_);
  bool joined_ GUARDED_BY(mu_) = false;
  uint64_t rebalances_ GUARDED_BY(mu_) = 0;
  uint64_t lost_ GUARDED_BY(mu_) = 0;
  uint64_t commits_ GUARDED_BY(mu_) = 0;
  uint64_t commit_failures_ GUARDED_BY(mu_) = 0;
  uint64_t dropped_ GUARDED_BY(mu_) = 0;
  Status error_ GUARDED_BY(mu_);
};

}  // namespace tally::kafka
