// Internal to engine/log: what KafkaLog and KafkaGroup share about
// librdkafka (building a client configuration, classifying its errors).
// Not a public header: librdkafka types stay inside engine/log.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/log/kafka_log.h"

namespace tally::kafka {

using Props = std::vector<std::pair<std::string, std::string>>;

// A librdkafka configuration: bootstrap.servers, then Tally's `defaults`,
// then the user's properties (o.properties, which win). librdkafka's own
// log lines are dropped unless the user set `debug` or `log_level`.
// invalid_argument names a property librdkafka refused. The caller owns the
// result (rd_kafka_new takes it over).
Result<rd_kafka_conf_t*> make_conf(const KafkaLogOptions& o, const Props& defaults);

// "what: librdkafka's reason[detail]", classified so callers can retry:
// unavailable (transport, timeouts, leaders), resource_exhausted (queue
// full), invalid_argument (size, unknown partition), io_error otherwise.
Status kafka_error(rd_kafka_resp_err_t err, const std::string& what, const std::string& detail = "");

}  // namespace tally::kafka
