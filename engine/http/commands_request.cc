#include "engine/http/commands_request.h"

#include <boost/json.hpp>
#include <string>

#include "engine/json/command_json.h"
#include "engine/json/strict_json.h"

namespace tally::http {
namespace json = boost::json;

namespace {

Status read_commands(const json::value& v, std::vector<Command>& out) {
  if (!v.is_array()) return Status::InvalidArgument("field \"commands\" must be a list of commands");
  const json::array& a = v.as_array();
  if (a.empty()) return Status::InvalidArgument("field \"commands\" must hold at least one command");
  if (a.size() > kMaxCommandsPerRequest) {
    return Status::InvalidArgument("field \"commands\" holds " + std::to_string(a.size()) +
                                   " commands, over the limit of " +
                                   std::to_string(kMaxCommandsPerRequest) + " per request");
  }
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); i++) {
    Result<Command> c = command_from_json(a[i]);
    if (!c.ok()) return c.status().with_context("commands[" + std::to_string(i) + "]");
    out.push_back(std::move(*c));
  }
  return Status::Ok();
}

Status read_timeout(const json::value& v, std::chrono::milliseconds& out) {
  const int64_t max = kMaxWaitTimeout.count();
  if (!v.is_int64() && !v.is_uint64()) {
    return Status::InvalidArgument("field \"timeout_ms\" must be an integer in 1.." + std::to_string(max));
  }
  const bool in_range = v.is_int64() ? v.as_int64() >= 1 && v.as_int64() <= max
                                     : v.as_uint64() <= static_cast<uint64_t>(max);
  if (!in_range) {
    return Status::InvalidArgument("field \"timeout_ms\" is out of range 1.." + std::to_string(max) +
                                   " (the longest wait is " + std::to_string(max / 1000) + " s)");
  }
  out = std::chrono::milliseconds(v.is_int64() ? v.as_int64() : static_cast<int64_t>(v.as_uint64()));
  return Status::Ok();
}

}  // namespace

Result<CommandsRequest> parse_commands_request(std::string_view body) {
  TALLY_ASSIGN_OR_RETURN(json::value v, parse_json_strict(body));
  if (!v.is_object()) {
    return Status::InvalidArgument("the body must be a JSON object: {\"commands\":[...]}");
  }
  CommandsRequest r;
  bool have_commands = false;
  for (const auto& kv : v.as_object()) {
    if (kv.key() == "commands") {
      TALLY_RETURN_IF_ERROR(read_commands(kv.value(), r.commands));
      have_commands = true;
    } else if (kv.key() == "wait") {
      if (!kv.value().is_bool()) return Status::InvalidArgument("field \"wait\" must be true or false");
      r.wait = kv.value().as_bool();
    } else if (kv.key() == "timeout_ms") {
      TALLY_RETURN_IF_ERROR(read_timeout(kv.value(), r.timeout));
    } else {
      return Status::InvalidArgument("unknown field \"" + std::string(kv.key()) +
                                     "\" (known: commands, wait, timeout_ms)");
    }
  }
  if (!have_commands) return Status::InvalidArgument("field \"commands\" is required");
  return r;
}

}  // namespace tally::http
