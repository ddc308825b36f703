// The operator's log: level and format names, one event one line, JSON
// escaping, and the rate limit on repeated failures.
#include <doctest/doctest.h>

#include "engine/core/logging.h"

using namespace tally;
using namespace std::chrono_literals;

TEST_CASE("logging: level and format names parse, anything else names the choices") {
  CHECK(*logging::parse_level("warn") == logging::Level::warn);
  CHECK(*logging::parse_level("off") == logging::Level::off);
  CHECK(*logging::parse_format("json") == logging::Format::json);
  Result<logging::Level> bad = logging::parse_level("verbose");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "log level 'verbose' is not one of debug, info, warn, error, off");
  CHECK_FALSE(logging::parse_format("xml").ok());
}

TEST_CASE("logging: the threshold decides what is written") {
  logging::configure(logging::Level::warn, logging::Format::text);
  CHECK_FALSE(logging::enabled(logging::Level::info));
  CHECK(logging::enabled(logging::Level::warn));
  CHECK(logging::enabled(logging::Level::error));
  logging::configure(logging::Level::off, logging::Format::text);
  CHECK_FALSE(logging::enabled(logging::Level::error));
  CHECK_FALSE(logging::enabled(logging::Level::off));
  logging::configure(logging::Level::info, logging::Format::text);
}

TEST_CASE("logging: a line stays one line; JSON fields are escaped") {
  CHECK(logging::format_fields(logging::Format::text, "log", "append failed:\nno space") ==
        "[log] append failed: no space");
  CHECK(logging::format_fields(logging::Format::json, "http", "bad \"dir\"\\\x01") ==
        R"("component":"http","msg":"bad \"dir\"\\\u0001")");
}

TEST_CASE("logging: RateLimited admits the first, then one per interval with the count") {
  logging::RateLimited limit(10s);
  const auto t0 = logging::RateLimited::Clock::time_point{} + 100s;
  CHECK(limit.admit(t0) == 1);
  CHECK(limit.admit(t0 + 1s) == 0);
  CHECK(limit.admit(t0 + 9s) == 0);
  CHECK(limit.admit(t0 + 10s) == 3);  // itself and the two it stood for
  CHECK(limit.admit(t0 + 11s) == 0);
  CHECK(limit.admit(t0 + 30s) == 2);
}
