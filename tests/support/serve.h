// Test support: a `tally serve` child process on an ephemeral port
// (--http 127.0.0.1:0) over a data directory, ready when constructed (it
// has printed its listening line). The destructor kills it if it still runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace tally::test {

class Serve {
 public:
  // Throws std::runtime_error if serve does not report ready within 30 s.
  // `prefix` runs serve through another program (e.g. setpriv, to run it
  // as another user).
  explicit Serve(const std::string& data_dir, std::vector<std::string> extra_args = {},
                 std::vector<std::string> prefix = {});

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& ready_line() const { return ready_line_; }
  Process& process() { return *process_; }
  // Sends SIGTERM and returns the exit code.
  int stop();

 private:
  std::unique_ptr<Process> process_;
  std::string ready_line_;
  uint16_t port_ = 0;
};

}  // namespace tally::test
