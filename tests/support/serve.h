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
  // With `capture_stderr`, serve's stderr joins the lines read here (those
  // before the listening line are in early_lines()). `prefix` runs serve
  // through another program (e.g. setpriv, to run it as another user).
  explicit Serve(const std::string& data_dir, std::vector<std::string> extra_args = {},
                 bool capture_stderr = false, std::vector<std::string> prefix = {});

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& ready_line() const { return ready_line_; }
  const std::vector<std::string>& early_lines() const { return early_lines_; }
  Process& process() { return *process_; }
  // Sends SIGTERM and returns the exit code.
  int stop();

 private:
  std::unique_ptr<Process> process_;
  std::string ready_line_;
  std::vector<std::string> early_lines_;
  uint16_t port_ = 0;
};

}  // namespace tally::test
