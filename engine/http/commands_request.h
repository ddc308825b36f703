// The body of POST /v1/commands (docs/http-api.md):
//   {"commands":[<command>, ...], "wait": true|false, "timeout_ms": N}
// "commands" is required (1 .. kMaxCommandsPerRequest); "wait" defaults to
// false; "timeout_ms" (1 .. kMaxWaitTimeout) to kDefaultWaitTimeout. Any
// other field is an error. Errors name the field, and for a bad command its
// index: `commands[3]: field "amount" is required`. Thread-safe.
#pragma once

#include <chrono>
#include <string_view>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "engine/http/api_limits.h"

namespace tally::http {

struct CommandsRequest {
  std::vector<Command> commands;
  bool wait = false;
  std::chrono::milliseconds timeout = kDefaultWaitTimeout;
};

// invalid_argument for malformed JSON (naming the byte where it broke),
// unknown fields, wrong types and numbers out of range.
Result<CommandsRequest> parse_commands_request(std::string_view body);

}  // namespace tally::http
