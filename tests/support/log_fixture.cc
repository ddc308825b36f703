#include "tests/support/log_fixture.h"

#include <stdexcept>

#include "engine/log/embedded_log.h"
#include "engine/log/kafka_log.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace tally::test {
namespace {

class EmbeddedFixture final : public LogFixture {
 public:
  explicit EmbeddedFixture(uint32_t partitions) : partitions_(partitions) {}
  std::string name() const override { return "embedded"; }
  std::unique_ptr<Log> open() override {
    auto log = open_embedded_log({.dir = dir_.sub("log"), .partitions = partitions_});
    if (!log.ok()) throw std::runtime_error(log.status().to_string());
    return std::move(log).value();
  }

 private:
  TempDir dir_{"tally-log"};
  uint32_t partitions_;
};

class KafkaFixture final : public LogFixture {
 public:
  explicit KafkaFixture(uint32_t partitions)
      : broker_({tally_bin(), "broker", "--partitions", std::to_string(partitions)}) {
    auto line = broker_.read_line(std::chrono::seconds(20));
    if (!line) throw std::runtime_error("tally broker printed no bootstrap address");
    bootstrap_ = *line;
  }
  std::string name() const override { return "kafka"; }
  std::unique_ptr<Log> open() override {
    auto log = open_kafka_log({.bootstrap = bootstrap_});
    if (!log.ok()) throw std::runtime_error(log.status().to_string());
    return std::move(log).value();
  }
  Process& broker() { return broker_; }

 private:
  Process broker_;
  std::string bootstrap_;
};

}  // namespace

std::unique_ptr<LogFixture> make_kafka_fixture(uint32_t partitions) {
  return std::make_unique<KafkaFixture>(partitions);
}

std::unique_ptr<LogFixture> make_embedded_fixture(uint32_t partitions) {
  return std::make_unique<EmbeddedFixture>(partitions);
}

}  // namespace tally::test
