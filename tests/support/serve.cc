#include "tests/support/serve.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "tests/support/temp_dir.h"

namespace tally::test {

Serve::Serve(const std::string& data_dir, std::vector<std::string> extra_args, bool capture_stderr,
             std::vector<std::string> prefix) {
  std::vector<std::string> argv = std::move(prefix);
  argv.insert(argv.end(), {tally_bin(), "serve", "--data", data_dir, "--http", "127.0.0.1:0"});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Process>(argv, capture_stderr);
  const std::string marker = "listening on 127.0.0.1:";
  size_t at = std::string::npos;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (at == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto line = process_->read_line(std::max(left, std::chrono::milliseconds(1)));
    if (!line) throw std::runtime_error("tally serve printed no listening line");
    ready_line_ = *line;
    at = ready_line_.find(marker);
    if (at == std::string::npos && !capture_stderr) throw std::runtime_error("unexpected first line: " + ready_line_);
    if (at == std::string::npos) early_lines_.push_back(ready_line_);
  }
  port_ = static_cast<uint16_t>(std::stoul(ready_line_.substr(at + marker.size())));
}

int Serve::stop() {
  process_->signal(SIGTERM);
  return process_->wait();
}

}  // namespace tally::test
