// Strict JSON for request bodies and command lines: the text must be one
// JSON value (RFC 8259, no comments, nesting at most kMaxJsonDepth) in which
// no object repeats a key. Boost.JSON alone keeps the last of two equal keys,
// so `{"amount":"1","amount":"999"}` would be read as 999 while a proxy that
// keeps the first key approved 1; here it is an error naming the key and
// where it is ("duplicate key \"amount\" in commands[0]"). Keys are compared
// after unescaping, so "\u0061mount" repeats "amount".
// Thread-safe: a pure function.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "engine/core/status.h"
#include "engine/core/tally_limits.h"

namespace tally {

inline constexpr size_t kMaxJsonDepth = limits::kMaxJsonDepth;  // levels (engine/core/tally_limits.h)

// The value, or invalid_argument: "malformed JSON at byte N: ..." or
// "duplicate key \"K\" in PATH".
Result<boost::json::value> parse_json_strict(std::string_view text);

}  // namespace tally
