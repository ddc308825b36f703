// tally bench log: how fast each log takes records of 8,189 realistic
// transfers, durably.
//
//   embedded: a fresh embedded log (or --data DIR); every append returns
//     only after the group commit that holds it was fsync'd.
//   kafka: KafkaLog (idempotent, acks=all) to --kafka BOOTSTRAP, or to a
//     `tally broker` started for the run (in memory; it keeps ~5 MiB per
//     partition, which an append-only benchmark does not mind).
// Prints one line per target: commands/s, MB/s, records/s, append latency;
// with --json also one object per target on stdout (bench/run_json.h).
#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "bench/data_dir.h"
#include "bench/log_bench.h"
#include "bench/run_json.h"
#include "engine/core/codec.h"
#include "engine/core/temp_dir.h"
#include "engine/log/embedded_log.h"
#include "engine/log/kafka_log.h"
#include "tools/tally/broker_child.h"
#include "tools/tally/cli.h"
#include "tools/tally/log_options.h"

namespace po = boost::program_options;

namespace tally::cli {
namespace {

// A fresh temporary directory, removed with its contents at the end.
class ScratchDir {
 public:
  ScratchDir() : path_(check(make_temp_dir("tally-bench"))) {}
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Prints a target's line; under --json also its object: `header`, "run"
// (embedded or kafka), "target" (the text's label) and the figures.
void report(const std::string& target, const bench::LogBenchResult& r, const bench::JsonStdout& out,
            boost::json::object header, const char* run) {
  std::cout << target << ": " << r.summary() << "\n";
  std::cout.flush();
  if (!out.enabled()) return;
  auto ms = [](std::chrono::nanoseconds d) { return std::chrono::duration<double, std::milli>(d).count(); };
  header["run"] = run;
  header["target"] = target;
  header["records"] = r.records;
  header["commands"] = r.commands;
  header["bytes"] = r.bytes;
  header["seconds"] = r.seconds();
  header["commands_per_second"] = r.commands_per_second();
  header["records_per_second"] = r.records_per_second();
  header["megabytes_per_second"] = r.megabytes_per_second();
  header["append_latency_ms"] = {{"p50", ms(r.latency_p50)}, {"p99", ms(r.latency_p99)},
                                 {"max", ms(r.latency_max)}};
  out.print(header);
}

}  // namespace

int bench_log_main(const Args& args) {
  LogOptions log_options;
  bench::LogBenchOptions bench;
  std::string target = "both";
  double seconds = 5;
  po::options_description desc(
      "tally bench log [--target embedded|kafka|both] [--data DIR] [--kafka BOOTSTRAP]\n"
      "Appends records of realistic transfers from several threads, each append\n"
      "waiting for durability (embedded: fsync'd group commit; Kafka: acks=all).\n"
      "Without --kafka it starts a `tally broker` (in memory) for the Kafka run.\nOptions");
  desc.add_options()("help,h", "this help")
      ("target", po::value(&target)->default_value("both"), "embedded, kafka or both")
      ("seconds", po::value(&seconds)->default_value(5), "how long to append, per target")
      ("threads", po::value(&bench.threads)->default_value(4), "concurrent appenders, 1..64")
      ("commands", po::value(&bench.commands_per_record)->default_value(kMaxBatchCommands),
       "transfers per record, 1..8189")
      ("json", po::bool_switch(), "one JSON object per target on stdout (the text goes to stderr)");
  add_log_options(desc, log_options);
  const po::variables_map vm = parse_options(args, desc);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (target != "embedded" && target != "kafka" && target != "both") {
    throw UsageError("--target must be embedded, kafka or both, got \"" + target + "\"");
  }
  if (!(seconds > 0 && seconds <= 3600)) throw UsageError("--seconds must be in (0, 3600]");
  if (bench.threads < 1 || bench.threads > 64) throw UsageError("--threads must be in 1..64");
  if (bench.commands_per_record < 1 || bench.commands_per_record > kMaxBatchCommands) {
    throw UsageError("--commands must be in 1.." + std::to_string(kMaxBatchCommands));
  }
  bench.duration = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  const uint32_t partitions = log_options.partitions != 0 ? log_options.partitions : 8;
  boost::json::object header = bench::run_header("log", args, vm);
  const bench::JsonStdout out(vm["json"].as<bool>());

  std::cout << "tally bench log: records of " << bench.commands_per_record
            << " transfers, " << bench.threads << " appender threads, " << seconds
            << " s per target\n";
  if (target != "kafka") {
    std::unique_ptr<ScratchDir> scratch;
    std::string dir = log_options.data_dir;
    if (dir.empty()) {
      scratch = std::make_unique<ScratchDir>();
      dir = scratch->path();
    } else {
      check(bench::create_data_dir(dir));
    }
    auto log = check(open_embedded_log({.dir = dir + "/log", .partitions = partitions}));
    const auto r = check(bench::run_log_bench(*log, bench), "embedded log");
    report("embedded, " + std::to_string(log->partition_count()) + " partitions, fsync'd", r, out, header,
           "embedded");
  }
  if (target != "embedded") {
    header["started"] = bench::utc_now_iso();
    std::unique_ptr<BrokerChild> broker;
    KafkaLogOptions k = kafka_log_options(log_options);
    std::string where = k.bootstrap;
    if (k.bootstrap.empty()) {
      broker = std::make_unique<BrokerChild>(partitions);
      k.bootstrap = broker->bootstrap();
      where = "tally broker at " + k.bootstrap;
    }
    auto log = check(open_kafka_log(k), "opening Kafka at " + k.bootstrap);
    const auto r = check(bench::run_log_bench(*log, bench), "kafka log");
    report("kafka (" + where + "), " + std::to_string(log->partition_count()) +
               " partitions, acks=all",
           r, out, header, "kafka");
  }
  return 0;
}

}  // namespace tally::cli
