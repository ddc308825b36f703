#include "engine/json/text.h"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <cmath>

namespace tally::json_text {
namespace {

void append(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      out += plain_decimal(v.get_double());
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const boost::json::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append(out, e);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(kv.key()));
        out += ':';
        append(out, kv.value());
      }
      out += '}';
      return;
    }
    default:
      out += boost::json::serialize(v);
  }
}

}  // namespace

std::string plain_decimal(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[400];  // the longest fixed form of a double is about 330 characters
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  if (r.ec != std::errc{}) return "null";
  return std::string(buf, r.ptr);
}

std::string serialize(const boost::json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace tally::json_text
