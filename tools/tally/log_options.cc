#include "tools/tally/log_options.h"

#include <boost/program_options.hpp>
#include <filesystem>

#include "engine/log/embedded_log.h"
#include "engine/log/kafka_log.h"
#include "tools/tally/cli.h"

namespace po = boost::program_options;

namespace tally::cli {

void add_log_options(po::options_description& desc, LogOptions& out) {
  desc.add_options()
      ("data", po::value(&out.data_dir), "data directory (embedded log in DIR/log)")
      ("kafka", po::value(&out.kafka), "Kafka bootstrap servers, instead of the embedded log")
      ("topic", po::value(&out.topic)->default_value("tally.commands"), "Kafka topic of commands")
      (",X", po::value(&out.kafka_props)->composing(), "librdkafka property key=value (repeatable)")
      ("partitions", po::value(&out.partitions), "partition count (default: the log's own, 8 when new)");
}

std::unique_ptr<Log> open_log(const LogOptions& options) {
  if (!options.kafka.empty()) {
    KafkaLogOptions k;
    k.bootstrap = options.kafka;
    k.topic = options.topic;
    for (const std::string& kv : options.kafka_props) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw UsageError("-X expects key=value, got \"" + kv + "\"");
      }
      k.properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return check(open_kafka_log(k), "opening Kafka at " + options.kafka);
  }
  if (options.data_dir.empty()) throw UsageError("give --data DIR or --kafka BOOTSTRAP");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) throw Failure("cannot create the data directory " + options.data_dir + ": " + ec.message());
  EmbeddedLogOptions e;
  e.dir = options.data_dir + "/log";
  e.partitions = options.partitions;
  return check(open_embedded_log(e));
}

}  // namespace tally::cli
