// HOST:PORT as given on the command line (--http 127.0.0.1:8080). An
// "http://" prefix and a trailing '/' are accepted; IPv6 hosts go in
// brackets ("[::1]:8080"). Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tally::http {

struct HostPort {
  std::string host;   // without brackets
  uint16_t port = 0;  // 0: any free port (servers only)
};

Result<HostPort> parse_host_port(std::string_view text);
// "127.0.0.1:8080", "[::1]:8080".
std::string format_host_port(const HostPort& hp);

}  // namespace tally::http
