#include "engine/http/params.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/pct_string_view.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

namespace tally::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  const boost::system::result<boost::urls::pct_string_view> pct = boost::urls::make_pct_string_view(text);
  if (!pct) return Status::InvalidArgument("malformed percent escape in \"" + std::string(text) + "\"");
  boost::urls::encoding_opts opts;
  opts.space_as_plus = plus_is_space;
  return pct->decode(opts);
}

std::string percent_encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

namespace {

// Names the first malformed percent escape in `target` (Boost.URL says only
// that the target does not parse): the segment or query pair holding it.
std::string first_bad_escape(std::string_view target) {
  for (size_t i = 0; i < target.size(); i++) {
    if (target[i] != '%') continue;
    if (i + 2 < target.size() && hex_value(target[i + 1]) >= 0 && hex_value(target[i + 2]) >= 0) continue;
    const size_t from = target.find_last_of("/?&=", i) + 1;
    const size_t to = target.find_first_of("/?&=", i);
    return std::string(target.substr(from, to == std::string_view::npos ? to : to - from));
  }
  return {};
}

// " : byte 0xFF at position 4 is not allowed", for the first byte of
// `target` outside what a path and query may hold unencoded; "" if none.
std::string first_bad_char(std::string_view target) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/?%";
  for (size_t i = 0; i < target.size(); i++) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (std::isalnum(c) || kAllowed.find(static_cast<char>(c)) != std::string_view::npos) continue;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", c);
    return std::string(": byte ") + hex + " at position " + std::to_string(i) + " is not allowed";
  }
  return {};
}

}  // namespace

Result<Target> parse_target(std::string_view target) {
  if (target.empty() || target[0] != '/') {
    return Status::InvalidArgument("the request target must start with '/'");
  }
  // Boost.URL: the origin-form grammar (RFC 9112 section 3.2.1), percent
  // decoding of segments and of query names and values ('+' is a space).
  const boost::system::result<boost::urls::url_view> url = boost::urls::parse_origin_form(target);
  if (!url) {
    const std::string bad = first_bad_escape(target);
    if (!bad.empty()) return Status::InvalidArgument("malformed percent escape in \"" + bad + "\"");
    return Status::InvalidArgument("the request target is not a valid URL path and query" + first_bad_char(target) +
                                   " (RFC 3986: percent-encode anything else)");
  }
  Target out;
  for (const std::string seg : url->segments()) out.segments.push_back(seg);
  if (out.segments.empty()) out.segments.emplace_back();  // "/" is one empty segment
  for (const boost::urls::param p : url->params()) {
    if (p.key.empty() && !p.has_value) continue;  // "&&"
    out.query.emplace_back(p.key, p.value);
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
