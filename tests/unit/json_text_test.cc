// JSON text for clients: numbers that are not integers in plain decimals.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <limits>

#include "engine/json/text.h"

using namespace tally;

TEST_CASE("json text: durations and rates print as plain decimals, never with an exponent") {
  CHECK(json_text::plain_decimal(164.689) == "164.689");
  CHECK(json_text::plain_decimal(0.00001) == "0.00001");
  CHECK(json_text::plain_decimal(3.0) == "3");
  CHECK(json_text::plain_decimal(1e21) == "1000000000000000000000");
  CHECK(json_text::plain_decimal(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(boost::json::serialize(boost::json::value(164.689)) != "164.689");  // why this exists
}

TEST_CASE("json text: everything else is boost::json's, escaping included") {
  const boost::json::value v = boost::json::parse(R"({"id":"340282366920938463463374607431768211454",
      "paused_ms":1.2,"records":1200,"ok":true,"none":null,"list":[0.5,-2,"a\"b"]})");
  CHECK(json_text::serialize(v) ==
        R"({"id":"340282366920938463463374607431768211454","paused_ms":1.2,"records":1200,"ok":true,)"
        R"("none":null,"list":[0.5,-2,"a\"b"]})");
  CHECK(boost::json::parse(json_text::serialize(v)) == v);
}

TEST_CASE("json text: bytes that are not UTF-8 become U+FFFD, so an echoed path stays JSON") {
  CHECK(json_text::valid_utf8("plain ascii") == "plain ascii");
  CHECK(json_text::valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xB6") == "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xB6");
  CHECK(json_text::valid_utf8("/v1/\xFF\xFE" "a") == "/v1/\xEF\xBF\xBD\xEF\xBF\xBD" "a");
  CHECK(json_text::valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");          // overlong '/'
  CHECK(json_text::valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(json_text::valid_utf8("\xF4\x90\x80\x80").starts_with("\xEF\xBF\xBD"));    // past U+10FFFF
  CHECK(json_text::valid_utf8("end\xE2\x82") == "end\xEF\xBF\xBD\xEF\xBF\xBD");     // cut short
  // What fuzz_http found: a 404 quoting such a path was not parseable JSON.
  const std::string body = json_text::serialize(boost::json::object{{"error", json_text::valid_utf8("no route for GET /v1/\xFF")}});
  boost::system::error_code ec;
  boost::json::parse(body, ec);
  CHECK(!ec);
}
