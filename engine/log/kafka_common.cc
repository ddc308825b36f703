#include "engine/log/kafka_common.h"

namespace tally::kafka {

namespace {

// librdkafka's own log lines. Its errors reach callers as statuses, so by
// default they are dropped instead of written to stderr (one failed call is
// one error line, not a stream of reconnect attempts). With `-X debug=...`
// the user asked for them: then librdkafka prints as it always does.
void drop_log(const rd_kafka_t*, int, const char*, const char*) {}

bool user_asked_for_logs(const KafkaLogOptions& o) {
  for (const auto& [k, v] : o.properties) {
    if (k == "debug" || k == "log_level") return true;
  }
  return false;
}

}  // namespace

Result<rd_kafka_conf_t*> make_conf(const KafkaLogOptions& o, const Props& defaults) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (!user_asked_for_logs(o)) rd_kafka_conf_set_log_cb(conf, drop_log);
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> Status {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      // A secret's value never reaches an error message.
      const bool secret = k.find("password") != std::string::npos || k.find("secret") != std::string::npos;
      return Status::InvalidArgument("librdkafka property " + k + "=" + (secret ? "<redacted>" : v) + ": " + err);
    }
    return Status::Ok();
  };
  Status s = set("bootstrap.servers", o.bootstrap);
  for (const auto& [k, v] : defaults) {
    if (s.ok()) s = set(k, v);
  }
  for (const auto& [k, v] : o.properties) {
    if (s.ok()) s = set(k, v);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  return conf;
}

Status kafka_error(rd_kafka_resp_err_t err, const std::string& what, const std::string& detail) {
  const std::string m = what + ": " + rd_kafka_err2str(err) + detail;
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return Status::Unavailable(m);
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Status::ResourceExhausted(m);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Status::InvalidArgument(m);
    default:
      return Status::IoError(m);
  }
}

}  // namespace tally::kafka
