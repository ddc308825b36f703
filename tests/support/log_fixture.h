// Test support: the same log test cases run against every Log
// implementation. A fixture owns whatever its log needs (a directory, a
// `tally broker` process) and can reopen the log as a restarted process would.
#pragma once

#include <memory>
#include <string>

#include "engine/log/log.h"

namespace tally::test {

class LogFixture {
 public:
  virtual ~LogFixture() = default;
  virtual std::string name() const = 0;
  // A (new) client of the same log. REQUIRES: at most one open at a time
  // for the embedded log (RocksDB locks its directory).
  virtual std::unique_ptr<Log> open() = 0;
};

std::unique_ptr<LogFixture> make_embedded_fixture(uint32_t partitions);
// Starts `tally broker` with `partitions` partitions.
std::unique_ptr<LogFixture> make_kafka_fixture(uint32_t partitions);

}  // namespace tally::test
