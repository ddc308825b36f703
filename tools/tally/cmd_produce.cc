// tally produce: append commands, given as JSON lines (docs/http-api.md has
// the fields), and print each one's outcome.
//
//   --http ADDR       through a running `tally serve` (POST /v1/commands in
//                     chunks of at most 8,189 commands, with "wait")
//   --data DIR        no serve running: append to DIR's embedded log, apply
//                     in this process (a Node over DIR) and report outcomes
//   --kafka ... [--data DIR]   the same on a Kafka log; without --data there
//                     is no projection here, so only placements are printed
//   --no-wait         append straight to the log; print placements only
//
// Output per command: "line N: <type> <id> -> <outcome> (partition P offset O)",
// or one JSON object per line with --json. A malformed line stops the run
// before anything is appended (exit 1). Rejections are outcomes, not errors
// (exit 0), unless --fail-on-reject (exit 3). Outcomes not known within the
// timeout: exit 1 after printing the placements.
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <fstream>
#include <iostream>

#include "engine/core/u128.h"
#include "engine/json/text.h"
#include "engine/http/node_backend.h"
#include "projections/outcome.h"
#include "tools/tally/cli.h"
#include "tools/tally/log_options.h"
#include "tools/tally/produce_io.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

struct ProduceOptions {
  LogOptions log;
  std::string file;
  std::string http;
  bool json_out = false;
  bool no_wait = false;
  bool fail_on_reject = false;
  uint32_t timeout_ms = 60'000;
};

std::unique_ptr<Log> open_local_log(const LogOptions& options) {
  try {
    return open_log(options);
  } catch (const Failure& e) {
    const std::string what = e.what();
    if (what.find("lock") == std::string::npos) throw;
    throw Failure(what + " (is tally serve running on " + options.data_dir + "? then use --http ADDR)");
  }
}

// Appends through a Node started in this process, which applies the
// commands so their outcomes are known; stops it (flushing) afterwards.
std::vector<Produced> produce_in_process(const ProduceOptions& o, const std::vector<InputCommand>& commands) {
  std::unique_ptr<Node> node = check(Node::open(open_local_log(o.log), {.data_dir = o.log.data_dir}),
                                     "opening the projection in " + o.log.data_dir);
  check(node->start(), "starting the pipelines");
  http::NodeBackend backend(*node);
  std::vector<Produced> out = append_in_chunks(backend, commands, std::chrono::milliseconds(o.timeout_ms));
  node->stop();
  return out;
}

std::vector<Produced> produce(const ProduceOptions& o, const std::vector<InputCommand>& commands) {
  const std::chrono::milliseconds timeout(o.timeout_ms);
  if (!o.http.empty()) {
    auto client = check(api_client(o.http));
    return post_in_chunks(commands, !o.no_wait, timeout, [&](const std::string& body) {
      return check(client->request("POST", "/v1/commands", body, timeout + std::chrono::seconds(15)));
    });
  }
  const bool no_projection = !o.log.kafka.empty() && o.log.data_dir.empty();
  if (o.no_wait || no_projection) {
    // The log first: a log that cannot be opened is the one error line.
    const std::unique_ptr<Log> log = open_local_log(o.log);
    if (no_projection && !o.no_wait) {
      std::cerr << "tally produce: outcomes need a projection: add --data DIR, or send through a serve "
                   "with --http ADDR instead of --kafka; printing placements only\n";
    }
    return append_direct(*log, commands);
  }
  return produce_in_process(o, commands);
}

void print(const ProduceOptions& o, const InputCommand& c, const Produced& p) {
  const std::string_view type = command_type_name(c.command);
  const std::string id = u128_to_string(command_subject(c.command));
  const Placement& pl = p.placement;
  if (o.json_out) {
    boost::json::object j{{"line", c.line}, {"type", type}, {"id", id}, {"partition", pl.partition.value},
                          {"offset", pl.offset.value}, {"index", pl.index}};
    if (p.outcome) j["outcome"] = *p.outcome;
    std::cout << json_text::serialize(j) << "\n";
    return;
  }
  std::cout << "line " << c.line << ": " << type << " " << id << " -> ";
  const std::string where = "partition " + std::to_string(pl.partition.value) + " offset " +
                            std::to_string(pl.offset.value);
  if (p.outcome) {
    std::cout << *p.outcome << " (" << where << ")\n";
  } else {
    std::cout << where << " index " << pl.index << "\n";
  }
}

}  // namespace

int produce_main(const Args& args) {
  ProduceOptions o;
  po::options_description desc(
      "tally produce [--http ADDR | --data DIR | --kafka ...] [--file F] < commands.jsonl\nOptions");
  desc.add_options()("help,h", "this help")
      ("file", po::value(&o.file), "read commands from FILE, not stdin")
      ("http", po::value(&o.http), "send through a running tally serve at HOST:PORT")
      ("json", po::bool_switch(&o.json_out), "print one JSON object per command")
      ("no-wait", po::bool_switch(&o.no_wait), "do not wait for outcomes; print placements only")
      ("fail-on-reject", po::bool_switch(&o.fail_on_reject), "exit 3 if any command was rejected")
      ("timeout-ms", po::value(&o.timeout_ms)->default_value(60'000),
       "how long to wait for outcomes (per chunk of 8,189 commands; at most 60000)");
  add_log_options(desc, o.log);
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (!o.http.empty() && (!o.log.data_dir.empty() || !o.log.kafka.empty())) {
    throw UsageError("give --http ADDR or --data/--kafka, not both");
  }
  if (o.timeout_ms < 1 || o.timeout_ms > 60'000) throw UsageError("--timeout-ms must be in 1..60000");
  // Before waiting on stdin: with no log to go to, say so at once.
  if (o.http.empty() && o.log.data_dir.empty() && o.log.kafka.empty()) {
    throw UsageError("give --http ADDR, --data DIR or --kafka BOOTSTRAP");
  }
  std::vector<InputCommand> commands;
  if (!o.file.empty()) {
    std::ifstream in(o.file);
    if (!in) throw Failure("cannot open " + o.file);
    commands = read_commands(in);
  } else {
    commands = read_commands(std::cin);
  }
  const std::vector<Produced> produced = produce(o, commands);
  size_t rejected = 0, unknown = 0;
  for (size_t i = 0; i < commands.size(); i++) {
    print(o, commands[i], produced[i]);
    if (!produced[i].outcome) {
      unknown++;
    } else if (*produced[i].outcome != "created" && *produced[i].outcome != "exists") {
      rejected++;
    }
  }
  std::cout.flush();
  const bool waited = !o.no_wait && (!o.http.empty() || !o.log.data_dir.empty());
  if (waited && unknown > 0) {
    throw Failure(std::to_string(unknown) + " outcomes were not known within " +
                  std::to_string(o.timeout_ms) + " ms; ask later with tally query offset P O");
  }
  return o.fail_on_reject && rejected > 0 ? 3 : 0;
}

}  // namespace tally::cli
