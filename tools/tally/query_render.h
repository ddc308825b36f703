// Human-readable forms of the API's JSON answers, for `tally query` without
// --json. They read the same JSON the API returns (engine/json/record_json.h),
// so both outputs always agree. Thread-safe: pure functions.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace tally::cli {

// `what` is the query: "account", "transfer", "history", "balance",
// "pending", "offset" or "stuck".
std::string render_human(std::string_view what, const boost::json::value& answer);

// "1712345678901234567" -> "2024-04-05T19:34:38.901234567Z"; the text as it
// is when it is not a number.
std::string format_timestamp(std::string_view ns);

}  // namespace tally::cli
