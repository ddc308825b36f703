// `tally broker`, the development Kafka: it prints a bootstrap address,
// creates the topic with the requested partitions, answers its control
// lines, and a broker taken down makes KafkaLog appends fail with a clear,
// retryable `unavailable` error in bounded time, and succeed once it is up.
#include <doctest/doctest.h>
#include <signal.h>


#include "engine/log/kafka_log.h"
#include "tests/fixtures/broker.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::unique_ptr<Log> open_log(const Broker& broker, const std::string& topic = "tally.commands") {
  KafkaLogOptions o;
  o.bootstrap = broker.bootstrap();
  o.topic = topic;
  // Fail a record 3 s after it was produced; reconnect quickly after "up".
  o.properties = {{"message.timeout.ms", "3000"}, {"reconnect.backoff.max.ms", "200"}};
  auto log = open_kafka_log(o);
  REQUIRE_MESSAGE(log.ok(), log.status().to_string());
  return std::move(log).value();
}

}  // namespace

TEST_CASE("tally broker prints its bootstrap address and creates the topic as asked") {
  Broker broker(5, "ledger.test");
  // "127.0.0.1:PORT", nothing else on the line.
  const std::string& b = broker.bootstrap();
  REQUIRE(b.rfind("127.0.0.1:", 0) == 0);
  const std::string port = b.substr(10);
  CHECK((!port.empty() && port.size() <= 5 &&
         port.find_first_not_of("0123456789") == std::string::npos));
  auto log = open_log(broker, "ledger.test");
  CHECK(log->partition_count() == 5);
  auto o = log->append_one(Partition{4}, bytes_of("hello"));
  REQUIRE(o.ok());
  CHECK(o->value == 0);

  KafkaLogOptions missing{.bootstrap = broker.bootstrap(), .topic = "no.such.topic"};
  missing.metadata_timeout = 3s;
  auto none = open_kafka_log(missing);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().code() == StatusCode::not_found);
  CHECK(none.status().message().find("no.such.topic") != std::string::npos);

  broker.process().signal(SIGTERM);
  CHECK(broker.process().wait() == 0);
}

TEST_CASE("tally broker's help says plainly what it is") {
  const Captured c = run_captured({tally_bin(), "broker", "--help"});
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("in memory") != std::string::npos);
  CHECK(c.out.find("about 5 MiB kept per") != std::string::npos);
  CHECK(c.out.find("for development and tests only") != std::string::npos);
}

TEST_CASE("tally broker answers control lines, one reply each") {
  Broker broker(2);
  CHECK(broker.control("rtt 1 5") == "ok rtt 1 5");
  CHECK(broker.control("rtt 1 0") == "ok rtt 1 0");
  CHECK(broker.control("fly away").rfind("error: unknown control line", 0) == 0);
  CHECK(broker.control("down 7").rfind("error: ", 0) == 0);  // no broker 7
  CHECK(broker.control("down 1") == "ok down 1");
  CHECK(broker.control("up 1") == "ok up 1");
}

TEST_CASE("appends fail as unavailable while the broker is down, and succeed after it is up") {
  Broker broker(2);
  auto log = open_log(broker);
  REQUIRE(log->append_one(Partition{0}, bytes_of("before")).ok());

  REQUIRE(broker.control("down 1") == "ok down 1");
  const auto start = std::chrono::steady_clock::now();
  auto failed = log->append_one(Partition{0}, bytes_of("while down"));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.status().code() == StatusCode::unavailable);
  CHECK(failed.status().retryable());
  MESSAGE("while down: " << failed.status().to_string());
  CHECK(took >= 2s);   // message.timeout.ms = 3000: it tried for that long
  CHECK(took < 10s);

  REQUIRE(broker.control("up 1") == "ok up 1");
  Result<Offset> after = Status::Unavailable("not tried");
  for (int tries = 0; tries < 5 && !after.ok(); tries++) {
    after = log->append_one(Partition{0}, bytes_of("after"));
  }
  REQUIRE_MESSAGE(after.ok(), after.status().to_string());
  CHECK(after->value >= 1);
}
