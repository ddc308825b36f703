#include "tools/tally/log_options.h"

#include <boost/program_options.hpp>
#include <charconv>
#include <filesystem>

#include "engine/log/embedded_log.h"
#include "engine/log/kafka_config.h"
#include "engine/log/kafka_log.h"
#include "tools/tally/cli.h"

namespace po = boost::program_options;

extern char** environ;

namespace tally::cli {
namespace {

constexpr uint32_t kMaxPartitions = 4096;  // the embedded log's limit

// "1".."4096" -> the count; anything else (0, -1, 1e3, 99999999999) is a
// usage error naming the value. Parsed here, not by lexical_cast, which
// would wrap "-1" to 4294967295.
uint32_t parse_partitions(const std::string& text) {
  uint32_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || n == 0 || n > kMaxPartitions) {
    throw UsageError("--partitions must be a whole number in 1.." + std::to_string(kMaxPartitions) +
                     ", got \"" + text + "\"");
  }
  return n;
}

}  // namespace

void add_log_options(po::options_description& desc, LogOptions& out) {
  desc.add_options()
      ("data", po::value(&out.data_dir), "data directory (embedded log in DIR/log)")
      ("kafka", po::value(&out.kafka), "Kafka bootstrap servers, instead of the embedded log")
      ("topic", po::value(&out.topic)->default_value("tally.commands"), "Kafka topic of commands")
      (",X", po::value(&out.kafka_props)->composing(), "librdkafka property key=value (repeatable)")
      ("kafka-config", po::value(&out.kafka_config)->value_name("FILE"),
       "librdkafka properties from FILE (Java properties format); TALLY_KAFKA_* environment "
       "variables are read too (TALLY_KAFKA_SASL_PASSWORD: sasl.password); -X wins over both")
      ("partitions",
       po::value<std::string>()->value_name("N")->notifier(
           [&out](const std::string& v) { out.partitions = parse_partitions(v); }),
       "partition count, 1..4096 (default: the log's own, 8 when new)");
}

KafkaLogOptions kafka_log_options(const LogOptions& options) {
  KafkaLogOptions k;
  k.bootstrap = options.kafka;
  k.topic = options.topic;
  if (!options.kafka_config.empty()) {
    auto file = kafka::read_properties_file(options.kafka_config);
    if (!file.ok()) throw UsageError("--kafka-config: " + file.status().message());
    k.properties = std::move(*file);
  }
  for (auto& kv : kafka::properties_from_environment(environ)) k.properties.push_back(std::move(kv));
  for (const std::string& kv : options.kafka_props) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("-X expects key=value, got \"" + kv + "\"");
    }
    k.properties.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return k;
}

std::unique_ptr<Log> open_log(const LogOptions& options) {
  if (!options.kafka.empty()) {
    return check(open_kafka_log(kafka_log_options(options)), "opening Kafka at " + options.kafka);
  }
  if (options.data_dir.empty()) throw UsageError("give --data DIR or --kafka BOOTSTRAP");
  std::error_code ec;
  if (!options.read_only) std::filesystem::create_directories(options.data_dir, ec);
  if (ec) throw Failure("cannot create the data directory " + options.data_dir + ": " + ec.message());
  EmbeddedLogOptions e;
  e.dir = options.data_dir + "/log";
  e.partitions = options.partitions;
  e.read_only = options.read_only;
  return check(open_embedded_log(e));
}

}  // namespace tally::cli
