// Test support: a `tally broker` child process (librdkafka's mock cluster)
// with its bootstrap address and its stdin control channel.
#pragma once

#include <string>

#include "tests/support/process.h"

namespace tally::test {

class Broker {
 public:
  // Starts `tally broker --partitions N`; throws if it prints no address.
  explicit Broker(uint32_t partitions, const std::string& topic = "tally.commands");
  const std::string& bootstrap() const { return bootstrap_; }
  // Sends one control line ("down 1") and returns the broker's one-line reply.
  std::string control(const std::string& line);
  Process& process() { return process_; }

 private:
  Process process_;
  std::string bootstrap_;
};

}  // namespace tally::test
