// log_append_loop: appends numbered records (tests/fixtures/numbered_records.h)
// to an embedded log as fast as it can, from several threads so that group
// commit batches them, until it is killed. The crash test kills it with
// SIGKILL and checks the log against what it printed.
//
//   log_append_loop DIR PARTITIONS FIRST_WRITER WRITERS
//
// Prints "ready" once the log is open, then one line per acknowledged append,
// "ack PARTITION OFFSET WRITER SEQ", written with a single write(2) after the
// append returned, so a printed line always means a durable record (the
// converse need not hold: a record may be durable and killed before its line).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "engine/log/embedded_log.h"
#include "tests/fixtures/numbered_records.h"

using namespace tally;

namespace {

void say(const std::string& line) {
  const std::string text = line + "\n";
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(1, text.data() + done, text.size() - done);
    if (n <= 0) std::_Exit(3);  // the test went away
    done += static_cast<size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: log_append_loop DIR PARTITIONS FIRST_WRITER WRITERS\n");
    return 2;
  }
  const uint32_t partitions = static_cast<uint32_t>(std::stoul(argv[2]));
  const uint32_t first = static_cast<uint32_t>(std::stoul(argv[3]));
  const uint32_t writers = static_cast<uint32_t>(std::stoul(argv[4]));
  auto log = open_embedded_log({.dir = argv[1], .partitions = partitions});
  if (!log.ok()) {
    std::fprintf(stderr, "log_append_loop: %s\n", log.status().to_string().c_str());
    return 1;
  }
  say("ready");
  std::vector<std::thread> threads;
  for (uint32_t w = first; w < first + writers; w++) {
    threads.emplace_back([&log, w, partitions] {
      for (uint64_t seq = 0;; seq++) {
        const test::RecordNumber n{w, seq};
        const std::vector<uint8_t> value = test::numbered_record(n);
        const std::vector<uint8_t> key = test::numbered_key(n);
        const Partition p{static_cast<uint32_t>((w + seq) % partitions)};
        auto o = (*log)->append_one(p, value, key);
        if (!o.ok()) {
          std::fprintf(stderr, "log_append_loop: %s\n", o.status().to_string().c_str());
          std::_Exit(1);
        }
        say("ack " + std::to_string(p.value) + " " + std::to_string(o->value) + " " +
            std::to_string(w) + " " + std::to_string(seq));
      }
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}
