// Human-readable forms of the API's JSON answers, for `tally query` without
// --json. They read the same JSON the API returns (engine/json/record_json.h),
// so both outputs always agree. Thread-safe: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

namespace tally::cli {

// `what` is the query: "account", "transfer", "history", "balance",
// "pending", "accounts", "transfers", "offset", "stuck", "saga" or "transit".
std::string render_human(std::string_view what, const boost::json::value& answer);

// GET /v1/sagas/{id} and GET /v1/transit answers (query_render_sagas.cc).
std::string render_saga(const boost::json::object& saga);
std::string render_transit(const boost::json::object& transit);

// A field as text, whether the JSON holds a string, a number or a bool; ""
// when absent.
std::string field(const boost::json::object& o, std::string_view key);

// "1712345678901234567" -> "2024-04-05T19:34:38.901234567Z"; the text as it
// is when it is not a number.
std::string format_timestamp(std::string_view ns);

}  // namespace tally::cli
