#include "engine/log/kafka_config.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace tally::kafka {
namespace {

bool blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Whether `line` ends in an odd number of backslashes (it continues).
bool continues(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[line.size() - 1 - n] == '\\') n++;
  return n % 2 == 1;
}

// Unescapes one key or value; `line` for the error.
Result<std::string> unescape(std::string_view s, size_t line) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) break;
    switch (s[i]) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        unsigned v = 0;
        if (i + 4 >= s.size()) {
          return Status::InvalidArgument("line " + std::to_string(line) + ": \\u needs 4 hex digits");
        }
        for (size_t k = 1; k <= 4; k++) {
          const char c = s[i + k];
          if (!std::isxdigit(static_cast<unsigned char>(c))) {
            return Status::InvalidArgument("line " + std::to_string(line) + ": \\u needs 4 hex digits");
          }
          v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                                                            : (std::tolower(c) - 'a' + 10));
        }
        if (v > 0x7f) {
          return Status::InvalidArgument("line " + std::to_string(line) +
                                         ": only ASCII \\u escapes are supported");
        }
        out += static_cast<char>(v);
        i += 4;
        break;
      }
      default: out += s[i];  // \\ \= \: \# \! and any other character as itself
    }
  }
  return out;
}

// Splits one logical line at its first unescaped '=', ':' or blank.
Status add_pair(std::string_view logical, size_t line, Properties& out) {
  size_t i = 0;
  while (i < logical.size() && !(logical[i] == '=' || logical[i] == ':' || blank(logical[i]))) {
    i += logical[i] == '\\' ? 2 : 1;
  }
  i = std::min(i, logical.size());
  const std::string_view raw_key = logical.substr(0, i);
  size_t v = i;
  while (v < logical.size() && blank(logical[v])) v++;
  if (v < logical.size() && (logical[v] == '=' || logical[v] == ':')) v++;
  while (v < logical.size() && blank(logical[v])) v++;
  TALLY_ASSIGN_OR_RETURN(std::string key, unescape(raw_key, line));
  if (key.empty()) return Status::InvalidArgument("line " + std::to_string(line) + ": empty key");
  TALLY_ASSIGN_OR_RETURN(std::string value, unescape(logical.substr(v), line));
  out.emplace_back(std::move(key), std::move(value));
  return Status::Ok();
}

}  // namespace

Result<Properties> parse_java_properties(std::string_view text) {
  Properties out;
  std::string logical;
  size_t line_no = 0, first_line = 0;
  bool joining = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    line_no++;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t start = 0;
    while (start < line.size() && blank(line[start])) start++;
    line.remove_prefix(start);
    if (!joining) {
      if (line.empty() || line[0] == '#' || line[0] == '!') {
        if (end == text.size()) break;
        continue;
      }
      first_line = line_no;
      logical.clear();
    }
    joining = continues(line);
    if (joining) line.remove_suffix(1);
    logical += line;
    if (!joining) TALLY_RETURN_IF_ERROR(add_pair(logical, first_line, out));
    if (end == text.size()) break;
  }
  if (joining) TALLY_RETURN_IF_ERROR(add_pair(logical, first_line, out));
  return out;
}

Result<Properties> read_properties_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the Kafka properties file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = parse_java_properties(text.str());
  if (!parsed.ok()) return parsed.status().with_context("Kafka properties file " + path);
  return parsed;
}

Properties properties_from_environment(char** env) {
  static constexpr std::string_view kPrefix = "TALLY_KAFKA_";
  Properties out;
  for (char** e = env; e != nullptr && *e != nullptr; e++) {
    const std::string_view var(*e);
    const size_t eq = var.find('=');
    if (eq == std::string_view::npos || var.substr(0, kPrefix.size()) != kPrefix || eq == kPrefix.size()) continue;
    std::string key(var.substr(kPrefix.size(), eq - kPrefix.size()));
    for (char& c : key) c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.emplace_back(std::move(key), std::string(var.substr(eq + 1)));
  }
  return out;
}

}  // namespace tally::kafka
