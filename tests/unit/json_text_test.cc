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
