#include "tools/tally/broker_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "tools/tally/cli.h"

namespace tally::cli {

BrokerChild::BrokerChild(uint32_t partitions) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw Failure("cannot create a pipe for tally broker");
  const std::string count = std::to_string(partitions);
  pid_ = fork();
  if (pid_ < 0) throw Failure("cannot fork tally broker");
  if (pid_ == 0) {
    dup2(out[1], 1);
    const int null = open("/dev/null", O_RDONLY);  // no control channel
    if (null >= 0) dup2(null, 0);
    execl("/proc/self/exe", "tally", "broker", "--partitions", count.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  out_fd_ = out[0];
  // The first line is the bootstrap address.
  std::string line;
  for (int waited_ms = 0; line.find('\n') == std::string::npos && waited_ms < 20000;) {
    pollfd p{out_fd_, POLLIN, 0};
    const int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) break;
    if (r == 0) {
      waited_ms += 100;
      continue;
    }
    char buf[256];
    const ssize_t n = read(out_fd_, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  const size_t nl = line.find('\n');
  if (nl == std::string::npos || nl == 0) {
    throw Failure("tally broker printed no bootstrap address");
  }
  bootstrap_ = line.substr(0, nl);
}

BrokerChild::~BrokerChild() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (out_fd_ >= 0) close(out_fd_);
}

}  // namespace tally::cli
