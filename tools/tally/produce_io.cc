#include "tools/tally/produce_io.h"

#include <boost/json.hpp>

#include "engine/log/pack.h"
#include "engine/http/api_limits.h"
#include "engine/http/append_wait.h"
#include "engine/json/command_json.h"
#include "tools/tally/cli.h"

namespace tally::cli {
namespace json = boost::json;

namespace {

constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kMaxCommands = 10'000'000;
// Chunks stay well under the API's 4 MiB body limit.
constexpr size_t kChunkBodyBytes = 3u << 20;
constexpr size_t kChunkCommands = http::kMaxCommandsPerRequest;

// The results of one chunk's answer, appended to `out`.
void read_results(const HttpReply& reply, size_t expected, std::vector<Produced>& out) {
  boost::system::error_code ec;
  const json::value v = json::parse(reply.body, ec);
  const json::value* results = !ec && v.is_object() ? v.as_object().if_contains("results") : nullptr;
  if (results == nullptr || !results->is_array() || results->as_array().size() != expected) {
    throw Failure("unexpected answer (" + std::to_string(reply.status) + "): " + reply.body);
  }
  for (const json::value& r : results->as_array()) {
    const json::object& o = r.as_object();
    Produced p;
    p.placement.partition = Partition{static_cast<uint32_t>(o.at("partition").to_number<uint64_t>())};
    p.placement.offset = Offset{o.at("offset").to_number<uint64_t>()};
    p.placement.index = static_cast<uint32_t>(o.at("index").to_number<uint64_t>());
    if (const json::value* outcome = o.if_contains("outcome")) p.outcome = std::string(outcome->as_string());
    out.push_back(std::move(p));
  }
}

std::string error_of(const HttpReply& reply) {
  boost::system::error_code ec;
  const json::value v = json::parse(reply.body, ec);
  if (!ec && v.is_object() && v.as_object().contains("error") && v.at("error").is_string()) {
    return std::string(v.at("error").as_string());
  }
  return reply.body;
}

// The failure of the chunk [first, end) of `commands`.
Failure chunk_failure(const std::vector<InputCommand>& commands, size_t first, size_t end,
                      const std::string& error) {
  return Failure("lines " + std::to_string(commands[first].line) + ".." +
                 std::to_string(commands[end - 1].line) + " (" + std::to_string(first) +
                 " commands before them were appended): " + error);
}

}  // namespace

std::vector<InputCommand> read_commands(std::istream& in) {
  std::vector<InputCommand> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); n++) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (line.size() > kMaxLineBytes) {
      throw Failure("line " + std::to_string(n) + ": " + std::to_string(line.size()) +
                    " bytes, over the limit of " + std::to_string(kMaxLineBytes));
    }
    auto c = command_from_json_text(line);
    if (!c.ok()) throw Failure("line " + std::to_string(n) + ": " + c.status().message());
    out.push_back({n, std::move(*c)});
    if (out.size() > kMaxCommands) {
      throw Failure("more than " + std::to_string(kMaxCommands) + " commands in one run");
    }
  }
  return out;
}

std::vector<Produced> post_in_chunks(const std::vector<InputCommand>& commands, bool wait,
                                     std::chrono::milliseconds timeout, const PostFn& post) {
  std::vector<Produced> out;
  size_t next = 0;
  while (next < commands.size()) {
    const size_t first = next;
    json::array chunk;
    size_t bytes = 0;
    while (next < commands.size() && chunk.size() < kChunkCommands && bytes < kChunkBodyBytes) {
      json::object c = command_to_json(commands[next++].command);
      bytes += json::serialize(c).size() + 1;
      chunk.emplace_back(std::move(c));
    }
    const size_t n = chunk.size();
    const json::object body{{"commands", std::move(chunk)}, {"wait", wait}, {"timeout_ms", timeout.count()}};
    const HttpReply reply = post(json::serialize(body));
    if (reply.status != 200 && reply.status != 504) throw chunk_failure(commands, first, next, error_of(reply));
    read_results(reply, n, out);
  }
  return out;
}

std::vector<Produced> append_in_chunks(http::Backend& backend, const std::vector<InputCommand>& commands,
                                       std::chrono::milliseconds timeout) {
  std::vector<Produced> out;
  std::vector<Command> chunk;
  for (size_t first = 0; first < commands.size(); first += kChunkCommands) {
    const size_t end = std::min(commands.size(), first + kChunkCommands);
    chunk.clear();
    for (size_t i = first; i < end; i++) chunk.push_back(commands[i].command);
    auto r = http::append_and_wait(backend, chunk, true, std::chrono::steady_clock::now() + timeout);
    if (!r.ok()) throw chunk_failure(commands, first, end, r.status().message());
    if (!r->waited.ok() && r->waited.code() != StatusCode::timeout) {
      throw chunk_failure(commands, first, end, "waiting for outcomes: " + r->waited.message());
    }
    for (const Placement& placement : r->placements) {
      Produced p{placement, std::nullopt};
      if (std::optional<Outcome> o = r->outcome(placement)) p.outcome = std::string(outcome_name(*o));
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::vector<Produced> append_direct(Log& log, const std::vector<InputCommand>& input) {
  std::vector<Command> commands;
  commands.reserve(input.size());
  for (const InputCommand& c : input) commands.push_back(c.command);
  std::vector<Produced> out(commands.size());
  pack_routed(commands, log.partition_count(), kNoRecordByteLimit, [&](PackedRecord&& r) {
    const Offset o = check(log.append_one(r.partition, r.value,
                                          std::span(reinterpret_cast<const uint8_t*>(r.key.bytes), 8)),
                           "appending to partition " + std::to_string(r.partition.value));
    for (uint32_t k = 0; k < r.commands.size(); k++) {
      out[r.commands[k]].placement = Placement{r.partition, o, k};
    }
  });
  return out;
}

}  // namespace tally::cli
