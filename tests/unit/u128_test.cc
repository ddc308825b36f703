#include <doctest/doctest.h>

#include "engine/core/status.h"
#include "engine/core/types.h"

using namespace tally;

TEST_CASE("u128 decimal round trip at the edges") {
  CHECK(u128_to_string(0) == "0");
  CHECK(u128_to_string(kU128Max) == "340282366920938463463374607431768211455");
  CHECK(parse_u128("340282366920938463463374607431768211455").value() == kU128Max);
  CHECK(parse_u128("18446744073709551616").value() == make_u128(1, 0));
  CHECK(parse_u128("0").value() == 0);
}

TEST_CASE("u128 parse rejects what is not a number in range") {
  CHECK_FALSE(parse_u128("340282366920938463463374607431768211456").has_value());
  CHECK_FALSE(parse_u128("").has_value());
  CHECK_FALSE(parse_u128("007").has_value());  // leading zeros: one spelling per number
  CHECK_FALSE(parse_u128("00").has_value());
  CHECK_FALSE(parse_u128("-1").has_value());
  CHECK_FALSE(parse_u128("+1").has_value());
  CHECK_FALSE(parse_u128("1 ").has_value());
  CHECK_FALSE(parse_u128("0x10").has_value());
  CHECK_FALSE(parse_u128("1000000000000000000000000000000000000000").has_value());
}

TEST_CASE("checked_add reports overflow") {
  CHECK(checked_add(kU128Max - 1, 1).value() == kU128Max);
  CHECK_FALSE(checked_add(kU128Max, 1).has_value());
}

TEST_CASE("ids reserve zero and the maximum") {
  CHECK_FALSE(AccountId(0).valid());
  CHECK_FALSE(AccountId(kU128Max).valid());
  CHECK(AccountId(1).valid());
  CHECK(AccountId(make_u128(5, 9)).hi() == 5);
  CHECK(AccountId(make_u128(5, 9)).lo() == 9);
}

TEST_CASE("Result carries a value or a named error") {
  Result<int> good = 7;
  Result<int> bad = Status::NotFound("account 9 not found");
  CHECK(good.ok());
  CHECK(*good == 7);
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().code() == StatusCode::not_found);
  CHECK(bad.status().to_string() == "not found: account 9 not found");
  CHECK(Status::Unavailable("x").retryable());
  CHECK_FALSE(Status::Corruption("x").retryable());
}
