// tally replay: rebuild a projection from the log into a fresh directory,
// to the end, to offsets or to a time; print each partition's applied
// offset and digest; --verify compares them with the live stores.
//
// Output (stdout), one line per partition, then a total:
//   partition 3: offset 1200 digest 5f0c...e1 (84,000 commands)
//   total: 8 partitions, 9,600 records, 672,000 commands in 0.25 s (2,688,000 commands/s, CPU 0.48 s)
// with --verify, then one line per partition and a summary:
//   verify partition 3: offset 1200 live 5f0c...e1 replay 5f0c...e1 match (52,113 keys alike)
//   verify: 8 of 8 partitions match
// Each partition is compared at the live store's own offset (beside a
// running serve: what it has flushed), which the line says when it is short
// of the log's end: its table files' checksums, its digest, and every key
// (replay_verify.h).
// Exit: 0 done (and every partition matched), 1 a mismatch or a partition
// that could not be compared, or a failure; 2 bad usage.
//
// With --switch-in --http ADDR [--partition P] the rebuild happens inside a
// running `tally serve` instead, which switches it in without stopping
// queries (cmd_replay_switch.cc).
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "engine/core/digest.h"
#include "engine/json/text.h"
#include "tools/replay/replay.h"
#include "tools/tally/cli.h"
#include "tools/tally/log_options.h"
#include "tools/tally/progress.h"
#include "tools/tally/replay_verify.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

struct ReplayArgs {
  LogOptions log;
  std::string into;
  std::vector<std::string> to_offsets;
  std::string to_time;
  bool verify = false;
  size_t jobs = 0;
  bool switch_in = false;
  std::string http;
  std::string partition = "all";
  unsigned timeout_s = 3600;
  bool json = false;
  bool no_bulk = false;
};

uint64_t parse_u64(std::string_view text, const std::string& what) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw UsageError(what);
  }
  return v;
}

std::pair<uint32_t, Offset> parse_to_offset(const std::string& text) {
  const std::string what =
      "--to-offset expects P:O (partition:offset, e.g. 3:1000), got \"" + text + "\"";
  const size_t colon = text.find(':');
  if (colon == std::string::npos) throw UsageError(what);
  const uint64_t p = parse_u64(std::string_view(text).substr(0, colon), what);
  const uint64_t o = parse_u64(std::string_view(text).substr(colon + 1), what);
  if (p > 4096) throw UsageError(what + ": no partition " + std::to_string(p));
  return {static_cast<uint32_t>(p), Offset{o}};
}

std::optional<ReplayArgs> parse_args(const Args& args) {
  ReplayArgs a;
  po::options_description desc(
      "tally replay --data DIR --into DIR2 [--to-offset P:O]... [--to-time T] [--verify]\n"
      "tally replay --switch-in --http ADDR [--partition P|all]\n"
      "  rebuilds inside a running tally serve and switches the new stores in\n"
      "  without stopping queries (docs/operations.md \"Rebuilding a partition\")\nOptions");
  desc.add_options()("help,h", "this help")
      ("into", po::value(&a.into), "new directory for the rebuilt projection (must be empty)")
      ("to-offset", po::value(&a.to_offsets)->composing(),
       "P:O - apply only records below offset O of partition P (repeatable)")
      ("to-time", po::value(&a.to_time),
       "T - stop before the first record whose commands' timestamps pass T (ns since the epoch)")
      ("verify", po::bool_switch(&a.verify),
       "compare each partition's digest with the live store in DIR/partitions")
      ("jobs", po::value(&a.jobs), "partitions replayed at once (default: one per CPU)")
      ("no-bulk", po::bool_switch(&a.no_bulk),
       "write through the memtables, as a live node does, not as ingested table files")
      ("switch-in", po::bool_switch(&a.switch_in),
       "ask the tally serve at --http to rebuild and switch in (POST /v1/admin/rebuild)")
      ("http", po::value(&a.http), "ADDR - the tally serve for --switch-in (HOST:PORT)")
      ("partition", po::value(&a.partition)->default_value("all"),
       "P or all - the partitions --switch-in rebuilds, one at a time")
      ("timeout", po::value(&a.timeout_s)->default_value(3600),
       "seconds --switch-in waits for the answer")
      ("json", po::bool_switch(&a.json),
       "print the result as one JSON object on stdout (progress stays on stderr)");
  add_log_options(desc, a.log);
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return std::nullopt;
  }
  if (a.switch_in) {
    if (a.http.empty()) throw UsageError("--switch-in needs --http ADDR, the tally serve to rebuild in");
    if (!a.into.empty() || !a.to_offsets.empty() || !a.to_time.empty() || a.verify) {
      throw UsageError("--switch-in rebuilds to the live offset inside tally serve; it takes no --into, "
                       "--to-offset, --to-time or --verify");
    }
    if (a.partition != "all" && (a.partition.empty() ||
                                 a.partition.find_first_not_of("0123456789") != std::string::npos ||
                                 a.partition.size() > 5)) {
      throw UsageError("--partition expects a partition number or \"all\", got \"" + a.partition + "\"");
    }
    return a;
  }
  if (!a.http.empty() || vm["partition"].defaulted() == false) {
    throw UsageError("--http and --partition go with --switch-in");
  }
  if (a.into.empty()) throw UsageError("give --into DIR2, a new directory for the projection");
  if (a.log.kafka.empty() && a.log.data_dir.empty()) {
    throw UsageError("give --data DIR (the embedded log in DIR/log) or --kafka BOOTSTRAP");
  }
  if (!a.log.data_dir.empty() && !std::filesystem::is_directory(a.log.data_dir)) {
    throw UsageError("--data " + a.log.data_dir + " is not a directory");
  }
  if (a.log.kafka.empty() && !std::filesystem::is_directory(a.log.data_dir + "/log")) {
    throw UsageError("no embedded log at " + a.log.data_dir + "/log (or give --kafka BOOTSTRAP)");
  }
  if (a.verify && a.log.data_dir.empty()) {
    throw UsageError("--verify needs --data DIR, whose partitions/ hold the live stores");
  }
  if (!replay::is_empty_dir(a.into)) {
    throw UsageError("--into " + a.into + " is not empty; replay builds a fresh projection there");
  }
  a.log.read_only = true;
  return a;
}

replay::ReplayOptions make_options(const ReplayArgs& a, uint32_t partitions) {
  replay::ReplayOptions o;
  o.into_dir = a.into;
  o.jobs = a.jobs;
  o.bulk = !a.no_bulk;
  for (const std::string& text : a.to_offsets) {
    const auto [p, offset] = parse_to_offset(text);
    if (p >= partitions) {
      throw UsageError("--to-offset " + text + ": the log has " + std::to_string(partitions) +
                       " partitions");
    }
    o.to_offset[p] = offset;
  }
  if (!a.to_time.empty()) {
    o.to_time = Timestamp{parse_u64(a.to_time, "--to-time expects nanoseconds since the epoch, got \"" +
                                                   a.to_time + "\"")};
  }
  return o;
}

// The live stores, read before the log is opened again, so that the log's
// snapshot holds every record the stores applied (replay_verify.h).
std::vector<LiveStore> live_stores(const ReplayArgs& a, std::unique_ptr<Log>& log) {
  std::vector<LiveStore> live = read_live_stores(a.log.data_dir, log->partition_count());
  bool any = false;
  for (const LiveStore& l : live) any = any || l.tables.has_value();
  if (!any) throw Failure("no live stores under " + a.log.data_dir + "/partitions to verify against");
  if (a.log.kafka.empty()) log = open_log(a.log);
  return live;
}

void print_report(const replay::Report& report, const replay::ReplayOptions& o) {
  uint64_t records = 0;
  for (const replay::PartitionResult& r : report.partitions) {
    records += r.applied.value;
    std::printf("partition %u: offset %llu digest %s (%s commands)", r.partition.value,
                static_cast<unsigned long long>(r.applied.value), Digest::hex(r.digest).c_str(),
                with_commas(r.commands).c_str());
    if (r.stopped_by_time) std::printf(", stopped by --to-time");
    auto to = o.to_offset.find(r.partition.value);
    if (to != o.to_offset.end() && to->second > r.log_end) {
      std::printf(", the log ends at %llu before --to-offset %llu",
                  static_cast<unsigned long long>(r.log_end.value),
                  static_cast<unsigned long long>(to->second.value));
    }
    std::printf("\n");
  }
  const double rate = report.wall_seconds > 0 ? report.commands / report.wall_seconds : 0;
  std::printf("total: %zu partitions, %s records, %s commands in %.2f s (%s commands/s, CPU %.2f s)\n",
              report.partitions.size(), with_commas(records).c_str(),
              with_commas(report.commands).c_str(), report.wall_seconds,
              with_commas(static_cast<uint64_t>(rate)).c_str(), report.cpu_seconds);
}

// The same as print_report (and print_verify, when given) as one object.
boost::json::object report_json(const replay::Report& report, const replay::ReplayOptions& o,
                                const std::vector<VerifyResult>* verified) {
  boost::json::array partitions;
  uint64_t records = 0;
  for (const replay::PartitionResult& r : report.partitions) {
    records += r.applied.value;
    boost::json::object p{{"partition", r.partition.value}, {"offset", r.applied.value},
                          {"digest", Digest::hex(r.digest)}, {"commands", r.commands},
                          {"stopped_by_time", r.stopped_by_time}, {"log_end", r.log_end.value}};
    if (auto to = o.to_offset.find(r.partition.value); to != o.to_offset.end()) p["to_offset"] = to->second.value;
    partitions.push_back(std::move(p));
  }
  boost::json::object out{{"partitions", std::move(partitions)},
                          {"records", records},
                          {"commands", report.commands},
                          {"seconds", report.wall_seconds},
                          {"commands_per_second", report.wall_seconds > 0 ? report.commands / report.wall_seconds : 0.0},
                          {"cpu_seconds", report.cpu_seconds}};
  if (verified != nullptr) {
    boost::json::array parts;
    uint64_t matched = 0;
    for (const VerifyResult& v : *verified) {
      matched += v.result == "match" ? 1 : 0;
      boost::json::object j{{"partition", v.partition.value}, {"result", v.result},
                            {"live_offset", v.live_offset}, {"replay_offset", v.replay_offset}};
      if (!v.live_digest.empty()) {
        j["live_digest"] = v.live_digest;
        j["replay_digest"] = v.replay_digest;
        j["keys"] = v.keys;
        j["differences"] = v.differences;
      }
      if (!v.first_difference.empty()) j["first_difference"] = v.first_difference;
      if (!v.error.empty()) j["error"] = v.error;
      boost::json::array damaged;
      for (const DamagedFile& d : v.damaged) damaged.push_back({{"file", d.file}, {"error", d.error}});
      if (!damaged.empty()) j["damaged"] = std::move(damaged);
      parts.push_back(std::move(j));
    }
    out["verify"] = boost::json::object{{"matched", matched}, {"partitions", std::move(parts)}};
  }
  return out;
}

}  // namespace

int replay_main(const Args& args) {
  const std::optional<ReplayArgs> a = parse_args(args);
  if (!a) return 0;
  if (a->switch_in) return replay_switch_in(a->http, a->partition, std::chrono::seconds(a->timeout_s), a->json);
  std::unique_ptr<Log> log = open_log(a->log);
  replay::ReplayOptions options = make_options(*a, log->partition_count());
  std::vector<LiveStore> live;
  if (a->verify) {
    live = live_stores(*a, log);
    for (uint32_t p = 0; p < live.size(); p++) {
      if (live[p].meta) options.checkpoints[p] = live[p].meta->next_offset;
    }
    options.checkpoint_copies = a->into + "/verify-copies";
  }
  ProgressDisplay display("replay");
  options.progress_interval = display.interval();
  const replay::Report report = check(
      replay::replay(*log, options, [&](const replay::Progress& p) {
        display.update(p.records_done, p.records_total, "records", p.commands, "commands", p.seconds);
      }),
      "replaying " + log->describe());
  uint64_t done = 0, total = 0;
  for (const auto& r : report.partitions) {
    done += r.applied.value;
    total += r.target.value;
  }
  display.finish(done, total, "records", report.commands, "commands", report.wall_seconds);
  std::vector<VerifyResult> verified;
  if (a->verify) {
    verified = verify(report, live);
    std::error_code ec;
    std::filesystem::remove_all(options.checkpoint_copies, ec);
  }
  if (a->json) {
    std::printf("%s\n", json_text::serialize(report_json(report, options, a->verify ? &verified : nullptr)).c_str());
  } else {
    print_report(report, options);
    if (a->verify) print_verify(verified);
  }
  size_t matched = 0;
  for (const VerifyResult& v : verified) matched += v.result == "match" ? 1 : 0;
  return !a->verify || matched == report.partitions.size() ? 0 : 1;
}

}  // namespace tally::cli
