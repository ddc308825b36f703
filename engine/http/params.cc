#include "engine/http/params.h"

#include <algorithm>
#include <cctype>

namespace tally::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits `s` at every `sep`.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); i++) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("malformed percent escape in \"" + std::string(text) + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Result<Target> parse_target(std::string_view target) {
  if (target.empty() || target[0] != '/') {
    return Status::InvalidArgument("the request target must start with '/'");
  }
  const size_t q = target.find('?');
  const std::string_view path = target.substr(1, q == std::string_view::npos ? std::string_view::npos : q - 1);
  Target out;
  for (std::string_view seg : split(path, '/')) {
    TALLY_ASSIGN_OR_RETURN(std::string s, percent_decode(seg, false));
    out.segments.push_back(std::move(s));
  }
  if (q == std::string_view::npos) return out;
  for (std::string_view pair : split(target.substr(q + 1), '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    TALLY_ASSIGN_OR_RETURN(std::string name, percent_decode(pair.substr(0, eq), true));
    std::string value;
    if (eq != std::string_view::npos) {
      TALLY_ASSIGN_OR_RETURN(value, percent_decode(pair.substr(eq + 1), true));
    }
    out.query.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

Result<u128> parse_id(std::string_view text, std::string_view what) {
  const std::optional<u128> v = parse_u128(text);
  if (!v) {
    return Status::InvalidArgument(std::string(what) + " \"" + std::string(text) +
                                   "\" is not a decimal u128 (1 to 39 digits, no leading zeros, at most 2^128-1)");
  }
  if (*v == 0 || *v == kU128Max) {
    return Status::InvalidArgument(std::string(what) + " " + std::string(text) +
                                   " is invalid: ids 0 and 2^128-1 are reserved");
  }
  return *v;
}

Result<QueryParams> QueryParams::make(std::vector<std::pair<std::string, std::string>> query,
                                      std::initializer_list<std::string_view> allowed) {
  for (size_t i = 0; i < query.size(); i++) {
    const std::string& name = query[i].first;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string known;
      for (std::string_view a : allowed) known += (known.empty() ? "" : ", ") + std::string(a);
      return Status::InvalidArgument("unknown query parameter \"" + name + "\" (known: " +
                                     (known.empty() ? "none" : known) + ")");
    }
    for (size_t j = 0; j < i; j++) {
      if (query[j].first == name) {
        return Status::InvalidArgument("query parameter \"" + name + "\" is given twice");
      }
    }
  }
  QueryParams p;
  p.query_ = std::move(query);
  return p;
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  for (const auto& [k, v] : query_) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

Result<std::optional<uint64_t>> QueryParams::uint(std::string_view name, uint64_t min,
                                                  uint64_t max) const {
  const std::optional<std::string_view> text = get(name);
  if (!text) return std::optional<uint64_t>();
  const std::optional<u128> v = parse_u128(*text);
  if (!v || *v < min || *v > max) {
    return Status::InvalidArgument("query parameter \"" + std::string(name) + "\" must be an integer in " +
                                   std::to_string(min) + ".." + std::to_string(max) + " without leading zeros, got \"" +
                                   std::string(*text) + "\"");
  }
  return std::optional<uint64_t>(static_cast<uint64_t>(*v));
}

}  // namespace tally::http
