// A `tally broker` started by another subcommand (e.g. `tally bench log`
// when no --kafka is given): this same binary, run as a child process. The
// destructor stops it (SIGTERM, then waits). Not thread-safe.
#pragma once

#include <string>
#include <sys/types.h>

namespace tally::cli {

class BrokerChild {
 public:
  // Starts `tally broker --partitions N`; throws Failure if it prints no
  // bootstrap address within 20 s.
  explicit BrokerChild(uint32_t partitions);
  ~BrokerChild();
  BrokerChild(const BrokerChild&) = delete;
  BrokerChild& operator=(const BrokerChild&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string bootstrap_;
};

}  // namespace tally::cli
