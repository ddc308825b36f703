// tally: the ledger engine's command line. See `tally --help`.
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <string_view>

#include "engine/core/version.h"
#include "tools/tally/cli.h"

namespace {

struct Subcommand {
  std::string_view name;
  std::string_view summary;
  std::function<int(const tally::cli::Args&)> run;
};

const Subcommand kSubcommands[] = {
    {"serve", "run the pipelines and serve the HTTP/JSON API, /health and /metrics",
     tally::cli::serve_main},
    {"query", "read accounts, transfers, history, balances and outcomes (HTTP or local stores)",
     tally::cli::query_main},
    {"demo", "run the ledger end to end on the embedded log and explain what happens",
     tally::cli::demo_main},
    {"produce", "append commands (JSON lines) and print each one's outcome",
     tally::cli::produce_main},
    {"replay", "rebuild a projection from the log into a fresh directory; print or verify digests",
     tally::cli::replay_main},
    {"reconcile", "recompute balances from the recorded postings and check every invariant",
     tally::cli::reconcile_main},
    {"verify", "read every table file and log record of a data directory with checksums verified",
     tally::cli::verify_main},
    {"broker", "run librdkafka's in-memory mock Kafka cluster (development and tests only)",
     tally::cli::broker_main},
    {"keys", "manage the API keys of tally serve --auth: add, list, revoke",
     tally::cli::keys_main},
    {"webhooks", "manage the webhook endpoints of a running tally serve: add, list, remove",
     tally::cli::webhooks_main},
    {"bench", "measure: tally bench transfers | log | replay | reconcile | expire",
     tally::cli::bench_main},
};

void usage(std::FILE* out) {
  std::fprintf(out, "usage: tally <command> [options]   (tally <command> --help for its options)\n");
  std::fprintf(out, "       tally --version\n\n");
  for (const Subcommand& s : kSubcommands) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(s.name.size()), s.name.data(),
                 static_cast<int>(s.summary.size()), s.summary.data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "tally: no command given (tally --help lists them)\n");
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "--version" || name == "version") {
    std::printf("tally %s (commit %s)\n", tally::kVersion, tally::kCommit);
    return 0;
  }
  if (name == "--help" || name == "-h" || name == "help") {
    usage(stdout);
    return 0;
  }
  for (const Subcommand& s : kSubcommands) {
    if (s.name != name) continue;
    tally::cli::Args args(argv + 2, argv + argc);
    try {
      return s.run(args);
    } catch (const tally::cli::UsageError& e) {
      std::fprintf(stderr, "tally %s: %s\n", argv[1], e.what());
      return 2;
    } catch (const boost::program_options::error& e) {
      std::fprintf(stderr, "tally %s: %s\n", argv[1], e.what());
      return 2;
    } catch (const tally::cli::Failure& e) {
      std::fprintf(stderr, "tally %s: %s\n", argv[1], e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tally %s: %s\n", argv[1], e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "tally: unknown command '%s' (tally --help lists them)\n", argv[1]);
  return 2;
}
