// KafkaLog: the command log on a Kafka topic, through librdkafka.
//
// Appends use an idempotent producer (enable.idempotence=true, acks=all)
// with the murmur2_random partitioner, so a record keyed like a Java client's
// lands in the same partition; Tally itself always names the partition.
// Each append waits for the delivery reports of its records: an offset is
// returned only once the cluster acknowledged it. The wait ends at the
// append's deadline (append_by) or after append_timeout: then the answer is
// `unavailable` naming the broker's state ("no broker reachable at ADDR for
// 12 s"); the records stay with the client until message.timeout.ms, and
// those already in flight may still be stored (the idempotent producer
// never stores one twice; the command's id makes a re-send answer exists). Readers are consumers
// assigned one partition at an explicit offset (no group needed).
//
// Any librdkafka property can be passed through (`-X key=value`, as kcat
// does); those given win over Tally's defaults. librdkafka's own log lines
// are dropped (its errors reach callers as statuses, with the client's last
// error appended) unless a `debug` or `log_level` property is given.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/log/log.h"

namespace tally {

struct KafkaLogOptions {
  std::string bootstrap;                 // "host:port[,host:port]"
  std::string topic = "tally.commands";
  std::vector<std::pair<std::string, std::string>> properties;  // librdkafka, key=value
  std::chrono::milliseconds metadata_timeout{10000};  // waiting for the topic at open
  // The longest an append waits for the cluster's acknowledgement (a
  // shorter deadline given to append_by wins). Also librdkafka's
  // message.timeout.ms, so an unacknowledged record is given up on by the
  // client too; a message.timeout.ms given as a property sets both.
  // Short enough that an outage opens the breaker (5 failures) in < 30 s.
  std::chrono::milliseconds append_timeout{5000};
  // Reading an end offset (lag, /health, the pipelines' probe of the log).
  std::chrono::milliseconds request_timeout{2000};
  // Kafka's default message limit (broker message.max.bytes is 1,048,588).
  size_t max_record_bytes = 1'000'000;
};

// Connects and reads the topic's partition count. Fails with unavailable if
// the cluster cannot be reached within metadata_timeout (sooner, as soon as
// the client reports every bootstrap broker down, e.g. connection refused),
// not_found if the topic does not exist (it is never auto-created: a typo
// must not create a ledger's log with the broker's default partition count),
// invalid_argument for a bad property.
Result<std::unique_ptr<Log>> open_kafka_log(const KafkaLogOptions& options);

}  // namespace tally
