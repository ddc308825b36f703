// librdkafka properties from outside the command line, so a secret such as
// sasl.password need not appear in `ps`: a file in the Java properties
// format Kafka's own tools read (`--kafka-config FILE`), and TALLY_KAFKA_*
// environment variables (TALLY_KAFKA_SASL_PASSWORD=... is sasl.password).
// docs/operations.md "Kafka client properties" gives the precedence: the
// file, then the environment, then -X (the last one given wins).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/status.h"

namespace tally::kafka {

using Properties = std::vector<std::pair<std::string, std::string>>;

// Parses Java properties text: one `key=value`, `key: value` or `key value`
// a line; blank lines and lines starting with # or ! are comments; leading
// whitespace and whitespace around the separator is dropped; a line ending
// in an odd number of backslashes continues on the next; \t \n \r \\ \= \:
// \# \! and \uXXXX (ASCII only) are unescaped. invalid_argument names the
// line of an empty key or a bad escape. Pairs come in file order.
Result<Properties> parse_java_properties(std::string_view text);

// Reads and parses `path`; the error names the file (not_found when it
// does not exist or cannot be read).
Result<Properties> read_properties_file(const std::string& path);

// The TALLY_KAFKA_* variables of `env` (a NULL-terminated environ array):
// the rest of the name lowercased with '_' as '.', in the order found.
Properties properties_from_environment(char** env);

}  // namespace tally::kafka
