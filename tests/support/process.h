// Test support: a child process with its stdout readable line by line, so
// tests drive `tally broker`, `tally serve` and other programs for real.
// The destructor sends SIGKILL to a child that is still running.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace tally::test {

class Process {
 public:
  // Starts argv[0] (searched in PATH) with argv; stdout is captured, stderr
  // inherited unless `capture_stderr`, in which case it joins stdout.
  explicit Process(const std::vector<std::string>& argv, bool capture_stderr = false);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The next line of stdout without its newline, or nullopt on timeout/EOF.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // Writes to the child's stdin.
  void write_stdin(const std::string& text);
  void close_stdin();
  void signal(int sig);
  // Waits for exit; returns the exit code, or 128 + signal.
  int wait();
  // Everything the child wrote to stdout until it exits.
  std::string read_all();
  int pid() const { return pid_; }
  bool running();

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  std::string buffer_;
  std::optional<int> status_;
};

// Runs a command to completion: exit code and combined stdout+stderr.
struct RunResult {
  int exit_code;
  std::string output;
};
RunResult run(const std::vector<std::string>& argv, const std::string& stdin_text = "");

// Runs a command to completion with stdout and stderr kept apart, feeding it
// `stdin_text`. A child still running after `timeout` is killed (SIGKILL;
// exit_code 128 + 9), so a command that hangs fails its test instead of
// hanging it. `elapsed` is the wall time until it exited or was killed.
struct Captured {
  int exit_code;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed;
};
Captured run_captured(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace tally::test
