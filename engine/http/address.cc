#include "engine/http/address.h"

#include <charconv>

namespace tally::http {

Result<HostPort> parse_host_port(std::string_view text) {
  const std::string original(text);
  if (text.starts_with("http://")) text.remove_prefix(7);
  if (text.ends_with('/')) text.remove_suffix(1);
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("address \"" + original + "\" must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  HostPort hp;
  std::string_view host = text.substr(0, colon);
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  hp.host = std::string(host);
  const std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535 || hp.host.empty()) {
    return Status::InvalidArgument("address \"" + original + "\": port must be a number in 0..65535");
  }
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

std::string format_host_port(const HostPort& hp) {
  const bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

}  // namespace tally::http
