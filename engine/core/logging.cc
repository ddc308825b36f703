// The operator's log over spdlog: one stderr logger, a pattern per format.
#include "engine/core/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace tally::logging {
namespace {

std::atomic<uint8_t> g_level{static_cast<uint8_t>(Level::info)};
std::atomic<uint8_t> g_format{static_cast<uint8_t>(Format::text)};

// Text: "2026-12-04T18:22:29.123456Z warn  [log] message".
// JSON: {"time":"...","level":"warn",<fields written by write()>}.
constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%fZ %-5l %v";
constexpr const char* kJsonPattern = R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})";

std::shared_ptr<spdlog::logger> make_logger() {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("tally", std::move(sink));
  logger->set_level(spdlog::level::trace);  // our own threshold filters first
  logger->set_pattern(kTextPattern, spdlog::pattern_time_type::utc);
  logger->flush_on(spdlog::level::trace);   // an operator's line must not sit in a buffer at a crash
  return logger;
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> l = make_logger();
  return *l;
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
    case Level::off: return spdlog::level::off;
  }
  return spdlog::level::err;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (const unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_text(std::string& out, std::string_view s) {
  for (const unsigned char c : s) out += c < 0x20 ? ' ' : static_cast<char>(c);
}

}  // namespace

Result<Level> parse_level(std::string_view name) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error, Level::off}) {
    if (name == level_name(l)) return l;
  }
  return Status::InvalidArgument("log level '" + std::string(name) +
                                 "' is not one of debug, info, warn, error, off");
}

Result<Format> parse_format(std::string_view name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return Status::InvalidArgument("log format '" + std::string(name) + "' is not one of text, json");
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "error";
}

void configure(Level level, Format format) {
  g_level.store(static_cast<uint8_t>(level), std::memory_order_relaxed);
  g_format.store(static_cast<uint8_t>(format), std::memory_order_relaxed);
  logger().set_pattern(format == Format::json ? kJsonPattern : kTextPattern, spdlog::pattern_time_type::utc);
}

bool enabled(Level level) {
  return level != Level::off && static_cast<uint8_t>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string format_fields(Format format, std::string_view component, std::string_view message) {
  std::string line;
  line.reserve(component.size() + message.size() + 32);
  if (format == Format::json) {
    line += "\"component\":";
    append_json_string(line, component);
    line += ",\"msg\":";
    append_json_string(line, message);
  } else {
    line += '[';
    append_text(line, component);
    line += "] ";
    append_text(line, message);
  }
  return line;
}

void write(Level level, std::string_view component, std::string_view message) {
  const auto format = static_cast<Format>(g_format.load(std::memory_order_relaxed));
  logger().log(to_spdlog(level), std::string_view(format_fields(format, component, message)));
}

uint64_t RateLimited::admit(Clock::time_point now) {
  std::lock_guard lock(mu_);
  if (admitted_once_ && now - last_ < interval_) {
    ++suppressed_;
    return 0;
  }
  admitted_once_ = true;
  last_ = now;
  const uint64_t n = suppressed_ + 1;
  suppressed_ = 0;
  return n;
}

}  // namespace tally::logging
