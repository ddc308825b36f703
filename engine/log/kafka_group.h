// KafkaGroup: this process's membership in a Kafka consumer group, used to
// decide which partitions it owns (docs/design.md "Beyond one machine";
// docs/operations.md "Several serve processes"). Kafka assigns the
// partitions and moves them when members come and go; Tally adds no
// coordination of its own.
//
// The member never consumes records through the group: the partitions
// assigned to it are paused at once (its pipelines read the log through
// their own readers, from the offsets stored with their state). It polls
// for rebalances and heartbeats on its own thread, and calls the hooks there,
// inside the rebalance: Kafka does not hand a revoked partition to another
// member until `revoked` has returned.
//
// Commits are informational (docs/design.md "Exactly once"): every
// commit_interval the member commits each owned partition's applied offset
// with its advertised address as the commit metadata, and on revocation the
// final offset with empty metadata. Every member reads the group's committed
// metadata on a second thread, and so learns who owns the partitions it
// does not. The metadata format, version 1:
//     "tally/1 owner=" ADDRESS        (ADDRESS as given to --advertise)
// Empty or anything else: the owner is not known.
//
// Thread safety: owner(), status() from any thread; leave() from one
// thread (the owner of the object); the hooks run on the group's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/types.h"
#include "engine/log/kafka_log.h"

namespace tally {

struct KafkaGroupOptions {
  // Bootstrap servers, topic and the user's librdkafka properties (-X),
  // shared with the log; the user's win over the group's defaults, which
  // are partition.assignment.strategy=cooperative-sticky,
  // session.timeout.ms=10000 and heartbeat.interval.ms=1000.
  KafkaLogOptions log;
  std::string group;      // group.id; REQUIRES: not empty
  uint32_t partition_count = 0;  // the topic's (Log::partition_count); REQUIRES: > 0
  std::string advertise;  // this member's address for clients, "host:port"
  // How often owned partitions' applied offsets are committed (as
  // librdkafka's statistics.interval.ms: the commits follow its statistics,
  // see kafka_group_rebalance.cc) and the other members' commits are read.
  std::chrono::milliseconds commit_interval{1000};
  // The longest wait for the group's committed offsets (one lookup).
  std::chrono::milliseconds lookup_timeout{2000};
};

// Called on the group's thread during a rebalance, which waits for them.
struct GroupHooks {
  // Start serving these partitions; return once they run.
  std::function<void(const std::vector<Partition>&)> assigned;
  // Stop serving these partitions; return once they are stopped and flushed.
  std::function<void(const std::vector<Partition>&)> revoked;
  // Every record of the partition below this offset is applied (committed,
  // for information, as the group's offset).
  std::function<Offset(Partition)> applied;
};

struct GroupStatus {
  std::string group;
  std::string member_id;             // the coordinator's id for this member; "" until joined
  bool joined = false;               // an assignment arrived (it may be empty)
  std::vector<Partition> assigned;   // owned now, in partition order
  uint32_t owners_known = 0;         // partitions whose owner is known (own ones included)
  uint64_t rebalances = 0;           // assignments and revocations received
  uint64_t lost = 0;                 // revocations of an assignment lost (session gone, fenced)
  uint64_t commits = 0;              // informational commits that succeeded
  uint64_t commit_failures = 0;
  uint64_t records_dropped = 0;      // records polled despite the pause (none expected)
  Status error;                      // the latest client, commit or lookup error, or ok
};

class KafkaGroup {
 public:
  virtual ~KafkaGroup() = default;
  // Leaves the group: revokes every owned partition (the `revoked` hook),
  // commits their final offsets, and tells the coordinator, so the others
  // take the partitions over without waiting for the session to time out.
  // Idempotent; the destructor calls it.
  virtual void leave() = 0;
  // The advertised address of the member that owns `p`, as last read from
  // the group's commits (this member's own address for its partitions);
  // nullopt while unknown (before the first lookup, during a handover).
  virtual std::optional<std::string> owner(Partition p) const = 0;
  virtual GroupStatus status() const = 0;
  virtual const std::string& advertise() const = 0;
};

// Subscribes to options.log.topic in options.group and starts the group's
// threads. Returns before the first assignment (it comes with the first
// rebalance; `assigned` is called then). invalid_argument for bad options
// or properties.
Result<std::unique_ptr<KafkaGroup>> join_kafka_group(KafkaGroupOptions options, GroupHooks hooks);

// The commit metadata naming `address` as a partition's owner, and back
// (nullopt for metadata that names no owner).
std::string owner_metadata(const std::string& address);
std::optional<std::string> owner_from_metadata(std::string_view metadata);

}  // namespace tally
