// Fuzz target: the API key file (engine/http/key_ring.h), which an operator
// edits by hand and tally serve reads on every SIGHUP. Properties: never
// crashes; errors name the line; a file that parses formats to text that
// parses to the same keys; a random "Authorization" value matches no key
// unless it is one (the keys here are from the file, whose secrets are
// unknown, so nothing may match).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/http/key_ring.h"

using namespace tally::http;

namespace {

bool same(const std::vector<KeyEntry>& a, const std::vector<KeyEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (a[i].id != b[i].id || a[i].scopes != b[i].scopes || a[i].salt != b[i].salt || a[i].hash != b[i].hash ||
        a[i].name != b[i].name) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto keys = parse_key_file(text);
  if (!keys.ok()) {
    if (keys.status().message().rfind("line ", 0) != 0) std::abort();
    return 0;
  }
  auto again = parse_key_file(format_key_file(*keys));
  if (!again.ok() || !same(*keys, *again)) std::abort();
  if (match_key(*keys, text) != nullptr) std::abort();
  (void)parse_scopes(text);
  return 0;
}
