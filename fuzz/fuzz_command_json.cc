// Fuzz target: the JSON a producer sends, as the body of POST /v1/commands
// (parse_commands_request) and as one line of `tally produce`
// (command_from_json_text). Properties: never crashes; an error is
// invalid_argument with a message; a body that parses holds 1..limit
// commands, each of which turns into JSON and back into itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/http/api_limits.h"
#include "engine/http/commands_request.h"
#include "engine/json/command_json.h"

using namespace tally;

namespace {

void check_round_trip(const Command& c) {
  Result<Command> again = command_from_json(command_to_json(c));
  if (!again.ok() || !(*again == c)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<http::CommandsRequest> body = http::parse_commands_request(text);
  if (!body.ok()) {
    if (body.status().code() != StatusCode::invalid_argument || body.status().message().empty()) std::abort();
  } else {
    if (body->commands.empty() || body->commands.size() > http::kMaxCommandsPerRequest) std::abort();
    for (const Command& c : body->commands) check_round_trip(c);
  }
  Result<Command> line = command_from_json_text(text);
  if (line.ok()) check_round_trip(*line);
  else if (line.status().code() != StatusCode::invalid_argument) std::abort();
  return 0;
}
