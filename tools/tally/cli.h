// The `tally` command line: one binary, one subcommand per tool. Each
// subcommand parses its own options (Boost.Program_options) and returns an
// exit code. Errors in usage or input are one line on stderr,
// "tally <subcommand>: <what is wrong>", and a non-zero exit (2 for usage).
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/core/status.h"

namespace tally::cli {

using Args = std::vector<std::string>;  // the arguments after the subcommand

// Thrown for bad usage; main prints it and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Thrown for a failed operation; main prints it and exits 1.
struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws Failure with the status's message when it is not ok.
inline void check(const Status& s, const std::string& context = "") {
  if (!s.ok()) throw Failure(context.empty() ? s.to_string() : context + ": " + s.to_string());
}
template <class T>
T check(Result<T> r, const std::string& context = "") {
  check(r.status(), context);
  return std::move(r).value();
}

// Parses `args` against `desc` and runs the options' notifiers. Positional
// arguments are refused (no subcommand takes any): a stray word is an error,
// not silently ignored. Throws boost::program_options::error or UsageError.
boost::program_options::variables_map parse_options(
    const Args& args, const boost::program_options::options_description& desc);

int bench_main(const Args& args);
int bench_log_main(const Args& args);        // tally bench log
int bench_reconcile_main(const Args& args);  // tally bench reconcile
int bench_replay_main(const Args& args);     // tally bench replay
int broker_main(const Args& args);
int demo_main(const Args& args);
int keys_main(const Args& args);  // tally keys add|list|revoke
int webhooks_main(const Args& args);  // tally webhooks add|list|remove
int produce_main(const Args& args);
int query_main(const Args& args);
int reconcile_main(const Args& args);
int replay_main(const Args& args);
// tally replay --switch-in (cmd_replay_switch.cc); `partition` is a number or "all".
int replay_switch_in(const std::string& http_address, const std::string& partition,
                     std::chrono::seconds timeout, bool as_json = false);
int serve_main(const Args& args);
int verify_main(const Args& args);  // tally verify: the scrub, one pass

}  // namespace tally::cli
