// Request targets: the path split into decoded segments and the query
// string into decoded name/value pairs, plus the checked conversions the
// handlers need (ids, bounded integers). Every error is invalid_argument
// with a message that names the parameter and the rule it broke.
// Thread-safe: values and pure functions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/status.h"
#include "engine/core/u128.h"

namespace tally::http {

struct Target {
  std::vector<std::string> segments;  // "/v1/accounts/7" -> {"v1","accounts","7"}
  std::vector<std::pair<std::string, std::string>> query;  // in order, percent-decoded
};

// Parses an origin-form target ("/path?query"). Rejects targets that do not
// start with '/' and malformed percent escapes.
Result<Target> parse_target(std::string_view target);

// "%41b+c" -> "Ab c" ('+' is a space only when `plus_is_space`).
Result<std::string> percent_decode(std::string_view text, bool plus_is_space);
// Escapes everything but unreserved characters (RFC 3986 section 2.3).
std::string percent_encode(std::string_view text);

// A decimal u128 id, 1 .. 2^128-2. `what` names it in errors ("account id").
Result<u128> parse_id(std::string_view text, std::string_view what);

// The query parameters of one request, checked against the names a route
// accepts: an unknown or repeated name is an error.
class QueryParams {
 public:
  static Result<QueryParams> make(std::vector<std::pair<std::string, std::string>> query,
                                  std::initializer_list<std::string_view> allowed);
  std::optional<std::string_view> get(std::string_view name) const;
  // A decimal integer in [min, max]; nullopt when absent.
  Result<std::optional<uint64_t>> uint(std::string_view name, uint64_t min, uint64_t max) const;

 private:
  std::vector<std::pair<std::string, std::string>> query_;
};

}  // namespace tally::http
