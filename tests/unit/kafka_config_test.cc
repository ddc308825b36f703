// librdkafka properties from a Java properties file and from TALLY_KAFKA_*
// environment variables (engine/log/kafka_config.h), so secrets need not
// be on the command line.
#include <doctest/doctest.h>

#include <fstream>

#include "engine/log/kafka_config.h"
#include "tests/fixtures/temp_dir.h"

using namespace tally;
using namespace tally::kafka;

TEST_CASE("java properties: separators, comments, continuations, escapes") {
  const std::string text =
      "# a comment\n"
      "! another\n"
      "\n"
      "security.protocol=SASL_SSL\n"
      "  sasl.mechanism : PLAIN\r\n"
      "sasl.username alice\n"
      "sasl.password=p\\=ss\\:w\\\\rd#1\n"
      "ssl.ca.location=/etc/ssl/\\\n"
      "    ca.pem\n"
      "client.id=t\\u0061lly\n"
      "empty.value=\n"
      "last.line=no newline";
  auto p = parse_java_properties(text);
  REQUIRE_MESSAGE(p.ok(), p.status().to_string());
  const Properties want = {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "PLAIN"},
                           {"sasl.username", "alice"},        {"sasl.password", "p=ss:w\\rd#1"},
                           {"ssl.ca.location", "/etc/ssl/ca.pem"}, {"client.id", "tally"},
                           {"empty.value", ""},               {"last.line", "no newline"}};
  CHECK(*p == want);
}

TEST_CASE("java properties: errors name the line") {
  auto empty_key = parse_java_properties("a=1\n=2\n");
  REQUIRE_FALSE(empty_key.ok());
  CHECK(empty_key.status().code() == StatusCode::invalid_argument);
  CHECK(empty_key.status().message() == "line 2: empty key");
  auto bad_u = parse_java_properties("a=1\nb=\\u00g1\n");
  REQUIRE_FALSE(bad_u.ok());
  CHECK(bad_u.status().message() == "line 2: \\u needs 4 hex digits");
  auto short_u = parse_java_properties("b=\\u12");
  CHECK_FALSE(short_u.ok());
}

TEST_CASE("a properties file: read, or an error naming it") {
  test::TempDir dir;
  const std::string path = dir.sub("client.properties");
  std::ofstream(path) << "sasl.password=s3cret\n";
  auto p = read_properties_file(path);
  REQUIRE(p.ok());
  CHECK(*p == Properties{{"sasl.password", "s3cret"}});
  auto missing = read_properties_file(dir.sub("nope.properties"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("nope.properties") != std::string::npos);
}

TEST_CASE("TALLY_KAFKA_* variables: lowercased, '_' as '.', others ignored") {
  std::string a = "TALLY_KAFKA_SASL_PASSWORD=s3cret=x", b = "PATH=/bin", c = "TALLY_KAFKA_=x",
              d = "TALLY_KAFKA_SECURITY_PROTOCOL=SASL_SSL", e = "TALLY_KAFKAX=1";
  char* env[] = {a.data(), b.data(), c.data(), d.data(), e.data(), nullptr};
  CHECK(properties_from_environment(env) ==
        Properties{{"sasl.password", "s3cret=x"}, {"security.protocol", "SASL_SSL"}});
  CHECK(properties_from_environment(nullptr).empty());
}
