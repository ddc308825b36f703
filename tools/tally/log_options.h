// Options that choose and open the command log, shared by the subcommands
// that read or append it: --data DIR (embedded log in DIR/log, the default)
// or --kafka BOOTSTRAP [--topic T] [--kafka-config FILE] [-X key=value]...
// librdkafka properties come from the file, then TALLY_KAFKA_* environment
// variables, then -X: the last one given for a key wins.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/log/kafka_log.h"
#include "engine/log/log.h"

namespace tally::cli {

struct LogOptions {
  std::string data_dir;
  std::string kafka;                  // bootstrap servers; empty = embedded
  std::string topic = "tally.commands";
  std::vector<std::string> kafka_props;  // key=value, passed to librdkafka
  std::string kafka_config;              // Java properties file for librdkafka; empty = none
  uint32_t partitions = 0;               // 0 = the log's own count (default 8 when new)
  // Open the embedded log read-only (no lock, a snapshot as of the open;
  // see EmbeddedLogOptions::read_only), for tools that only read it.
  bool read_only = false;
};

// Adds --data, --kafka, --topic, -X, --partitions to `desc`, bound to `out`.
void add_log_options(boost::program_options::options_description& desc, LogOptions& out);

// The KafkaLog options that --kafka, --topic, --kafka-config, TALLY_KAFKA_*
// and -X name. Throws UsageError for a -X that is not key=value or a
// properties file that cannot be read or parsed.
KafkaLogOptions kafka_log_options(const LogOptions& options);

// Opens the log the options name. Throws UsageError when neither --data nor
// --kafka is given, Failure when it cannot be opened.
std::unique_ptr<Log> open_log(const LogOptions& options);

}  // namespace tally::cli
