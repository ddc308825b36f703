// The parts of `tally produce` that read commands and hand them to the
// ledger: through a running serve's HTTP API in chunks of at most 8,189
// commands, through an in-process Node (engine/http/append_wait.h, as the
// API does), or straight into the log without waiting for outcomes.
#pragma once

#include <chrono>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/command.h"
#include "engine/http/backend.h"
#include "engine/log/log.h"
#include "engine/node/node.h"
#include "tools/tally/http_client.h"

namespace tally::cli {

struct InputCommand {
  size_t line;  // 1-based line number in the input
  Command command;
};

// Every non-blank line as a command. Throws Failure naming the first bad
// line (so nothing is appended when any line is malformed).
std::vector<InputCommand> read_commands(std::istream& in);

struct Produced {
  Placement placement;
  std::optional<std::string> outcome;  // absent: not asked for, or not known in time
};

// POSTs a /v1/commands body, returns the reply.
using PostFn = std::function<HttpReply(const std::string& body)>;

// Sends the commands in input order, in chunks of at most 8,189 commands and
// about 3 MiB, each with `wait` and `timeout`. Results in input order.
// Throws Failure on an answer other than 200 (or 504, whose placements it
// keeps), naming the chunk.
std::vector<Produced> post_in_chunks(const std::vector<InputCommand>& commands, bool wait,
                                     std::chrono::milliseconds timeout, const PostFn& post);

// Appends the commands through `backend` (in process: no JSON in between)
// and waits up to `timeout` for their outcomes, in chunks of at most 8,189
// commands (a request's most). Results in input order; a timeout keeps the
// placements. Throws Failure as post_in_chunks does.
std::vector<Produced> append_in_chunks(http::Backend& backend, const std::vector<InputCommand>& commands,
                                       std::chrono::milliseconds timeout);

// Appends the commands straight to the log (routed and packed per
// partition, in input order); placements only.
std::vector<Produced> append_direct(Log& log, const std::vector<InputCommand>& commands);

}  // namespace tally::cli
