#include "tests/support/broker.h"

#include <stdexcept>

#include "tests/support/temp_dir.h"

namespace tally::test {

Broker::Broker(uint32_t partitions, const std::string& topic)
    : process_({tally_bin(), "broker", "--partitions", std::to_string(partitions), "--topic",
                topic}) {
  auto line = process_.read_line(std::chrono::seconds(20));
  if (!line) throw std::runtime_error("tally broker printed no bootstrap address");
  bootstrap_ = *line;
}

std::string Broker::control(const std::string& line) {
  process_.write_stdin(line + "\n");
  auto reply = process_.read_line(std::chrono::seconds(10));
  if (!reply) throw std::runtime_error("tally broker did not answer \"" + line + "\"");
  return *reply;
}

}  // namespace tally::test
