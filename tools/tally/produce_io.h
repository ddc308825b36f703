// The parts of `tally produce` that read commands and hand them to the
// ledger: through the API (a running serve's HTTP, or a Router over an
// in-process Node) in chunks of at most 8,189 commands, or straight into the
// log without waiting for outcomes.
#pragma once

#include <chrono>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/command.h"
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

// Appends the commands straight to the log (routed and packed per
// partition, in input order); placements only.
std::vector<Produced> append_direct(Log& log, const std::vector<InputCommand>& commands);

}  // namespace tally::cli
