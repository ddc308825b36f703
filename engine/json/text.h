// JSON text as Tally writes it to clients and tools: boost::json's
// serializer, except that a number that is not an integer (a duration in
// seconds or milliseconds, a rate) is written in plain decimal notation,
// "164.689", never "1.64689E2". Every reader accepts both, but people and
// shell scripts read these too. Ids and amounts are strings and unaffected.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace tally::json_text {

// The shortest plain decimal that reads back as `d` ("0.5", "3", "0.000125");
// NaN and infinities, which JSON cannot hold, as null.
std::string plain_decimal(double d);

// `v` serialized with every double as plain_decimal.
std::string serialize(const boost::json::value& v);

// `text` with every byte that does not begin or continue a well-formed
// UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF) replaced by U+FFFD. boost::json writes strings byte for byte,
// so text that may hold a client's raw bytes (a percent-decoded path in an
// error message) goes through this first, or the answer is not JSON.
std::string valid_utf8(std::string_view text);

}  // namespace tally::json_text
