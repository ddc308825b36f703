// KafkaGroup's member: the consumer, its two threads, leaving. The answers
// to the group are in kafka_group_rebalance.cc.
#include "engine/log/kafka_group.h"

#include <cstdlib>
#include <cstring>

#include "engine/core/thread_annotations.h"
#include "engine/log/kafka_group_impl.h"

namespace tally {

namespace {
constexpr std::string_view kOwnerPrefix = "tally/1 owner=";
}  // namespace

std::string owner_metadata(const std::string& address) {
  return std::string(kOwnerPrefix) + address;
}

std::optional<std::string> owner_from_metadata(std::string_view metadata) {
  if (!metadata.starts_with(kOwnerPrefix) || metadata.size() == kOwnerPrefix.size()) {
    return std::nullopt;
  }
  return std::string(metadata.substr(kOwnerPrefix.size()));
}

namespace kafka {

namespace {
void rebalance_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                  void* opaque) {
  static_cast<GroupMember*>(opaque)->on_rebalance(err, parts);
}
void commit_cb(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
               void* opaque) {
  static_cast<GroupMember*>(opaque)->on_commit(err, offsets);
}
void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
  static_cast<GroupMember*>(opaque)->on_error(err, reason);
}
int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  static_cast<GroupMember*>(opaque)->on_stats(std::string_view(json, len));
  return 0;  // librdkafka frees the JSON
}
}  // namespace

void PartitionList::add(const std::string& topic, int32_t partition, int64_t offset,
                        const std::string& metadata) {
  rd_kafka_topic_partition_t* t = rd_kafka_topic_partition_list_add(list_, topic.c_str(), partition);
  t->offset = offset;
  if (metadata.empty()) return;
  t->metadata = std::malloc(metadata.size());  // librdkafka frees it with the list
  std::memcpy(t->metadata, metadata.data(), metadata.size());
  t->metadata_size = metadata.size();
}

Status GroupMember::start() {
  const uint32_t n = options_.partition_count;
  {
    tally::MutexLock lock(mu_);  // no callback runs yet; the lock is for the analysis
    committed_.assign(n, -1);
    owners_.assign(n, "");
  }
  // The statistics drive the informational commits (on_stats).
  TALLY_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf,
                         make_conf(options_.log, {{"partition.assignment.strategy", "cooperative-sticky"},
                                                  {"session.timeout.ms", "10000"},
                                                  {"heartbeat.interval.ms", "1000"},
                                                  {"statistics.interval.ms",
                                                   std::to_string(options_.commit_interval.count())},
                                                  {"enable.auto.commit", "false"},
                                                  {"enable.auto.offset.store", "false"},
                                                  {"enable.partition.eof", "false"},
                                                  {"auto.offset.reset", "latest"}}));
  // Set last: the group is the membership, and a -X group.id must not move it.
  char err[512];
  if (rd_kafka_conf_set(conf, "group.id", options_.group.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("group.id: ") + err);
  }
  rd_kafka_conf_set_opaque(conf, this);
  rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
  rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  rd_kafka_conf_set_stats_cb(conf, stats_cb);
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::InvalidArgument(std::string("creating the group's consumer: ") + err);
  }
  rd_kafka_poll_set_consumer(rk_);
  PartitionList topics(1);
  topics.add(options_.log.topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_OFFSET_INVALID);
  if (rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_, topics.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
    return kafka_error(e, "subscribing to " + options_.log.topic + " in group " + options_.group);
  }
  member_ = std::thread([this] { member_loop(); });
  lookup_ = std::thread([this] { lookup_loop(); });
  return Status::Ok();
}

void GroupMember::member_loop() {
  while (!stop_.load()) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
    if (m != nullptr) {
      // Paused partitions deliver nothing: a record fetched before the pause
      // took effect is dropped (and counted); an error event is reported.
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        tally::MutexLock lock(mu_);
        dropped_++;
      } else {
        set_error(kafka_error(m->err, "group " + options_.group,
                              std::string(" (") + rd_kafka_message_errstr(m) + ")"));
      }
      rd_kafka_message_destroy(m);
    }
  }
  // Revokes every owned partition (on_rebalance runs inside), commits their
  // final offsets and leaves the group.
  if (rd_kafka_resp_err_t e = rd_kafka_consumer_close(rk_); e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    set_error(kafka_error(e, "leaving group " + options_.group));
  }
}

void GroupMember::lookup_loop() {
  while (!stop_.load()) {
    lookup_owners();
    tally::UniqueLock lock(lookup_mu_);
    lookup_cv_.wait_for(lock.native(), options_.commit_interval, [&] { return stop_.load(); });
  }
}

void GroupMember::leave() {
  tally::MutexLock leaving(leave_mu_);
  if (rk_ == nullptr) return;
  {
    tally::MutexLock lock(lookup_mu_);
    stop_ = true;
  }
  lookup_cv_.notify_all();
  lookup_.join();
  member_.join();
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

}  // namespace kafka

Result<std::unique_ptr<KafkaGroup>> join_kafka_group(KafkaGroupOptions options, GroupHooks hooks) {
  if (options.group.empty()) return Status::InvalidArgument("no consumer group given");
  if (options.advertise.empty()) return Status::InvalidArgument("no address to advertise to the group");
  if (options.partition_count == 0) return Status::InvalidArgument("the topic's partition count is 0");
  if (!hooks.assigned || !hooks.revoked || !hooks.applied) {
    return Status::InvalidArgument("the group's hooks must all be set");
  }
  auto member = std::make_unique<kafka::GroupMember>(std::move(options), std::move(hooks));
  TALLY_RETURN_IF_ERROR(member->start());
  return std::unique_ptr<KafkaGroup>(std::move(member));
}

}  // namespace tally
