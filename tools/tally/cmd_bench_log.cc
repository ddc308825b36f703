// tally bench log: how fast each log takes records of 8,189 realistic
// transfers, durably.
//
//   embedded: a fresh embedded log (or --data DIR); every append returns
//     only after the group commit that holds it was fsync'd. --format picks
//     the storage: segments (the default for new logs), rocksdb (the format
//     before it) or both, one after the other. After each log run, in the
//     same directory, the disk's own fsync'd sequential bandwidth
//     (bench::DiskProbe: groups of the run's mean group size, one writer
//     and --threads writers at once, as long as the run in all), and the
//     log's share of each.
//   kafka: KafkaLog (idempotent, acks=all) to --kafka BOOTSTRAP, or to a
//     `tally broker` started for the run (in memory; it keeps ~5 MiB per
//     partition, which an append-only benchmark does not mind).
// Prints one line per target: commands/s, MB/s, records/s, append latency;
// with --json also one object per target on stdout (bench/run_json.h).
#include <fcntl.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
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

constexpr size_t kSlices = 10;  // of the log run, alternating with the disk's

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
// `disk`, `many`: the disk's bandwidth the run is compared with, one writer
// and --threads writers at once (embedded only).
void report(const std::string& target, const bench::LogBenchResult& r, const bench::JsonStdout& out,
            boost::json::object header, const char* run,
            const bench::DiskBandwidth* disk = nullptr, const bench::DiskBandwidth* many = nullptr,
            const char* format = nullptr) {
  std::cout << target << ": " << r.summary() << "\n";
  if (disk != nullptr && many != nullptr) std::cout << "  " << bench::disk_share(r, *disk, *many) << "\n";
  std::cout.flush();
  if (!out.enabled()) return;
  if (format != nullptr) header["format"] = format;
  if (disk != nullptr && many != nullptr) {
    const double best = bench::disk_megabytes_per_second(*disk, *many);
    header["disk_fsync_megabytes_per_second"] = best;
    header["disk_fsync_one_writer_megabytes_per_second"] = disk->megabytes_per_second();
    header["disk_fsync_concurrent_megabytes_per_second"] = many->megabytes_per_second();
    header["disk_fsync_concurrent_writers"] = many->writers;
    header["disk_fsync_group_bytes"] = disk->group_bytes;
    header["disk_fsyncs"] = disk->syncs + many->syncs;
    header["log_group_commits"] = r.group_commits;
    header["share_of_disk_bandwidth"] = r.megabytes_per_second() / best;
  }
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

// Writes back every dirty page of the file system holding `dir` (what an
// earlier run left: RocksDB's flushes), so it does not slow the next one.
void settle_disk(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::syncfs(fd);
  ::close(fd);
}

}  // namespace

int bench_log_main(const Args& args) {
  LogOptions log_options;
  bench::LogBenchOptions bench;
  std::string target = "both";
  std::string format = "segments";
  double seconds = 5;
  po::options_description desc(
      "tally bench log [--target embedded|kafka|both] [--format segments|rocksdb|both]\n"
      "                [--data DIR] [--kafka BOOTSTRAP]\n"
      "Appends records of realistic transfers from several threads, each append\n"
      "waiting for durability (embedded: fsync'd group commit; Kafka: acks=all).\n"
      "Without --kafka it starts a `tally broker` (in memory) for the Kafka run.\nOptions");
  desc.add_options()("help,h", "this help")
      ("target", po::value(&target)->default_value("both"), "embedded, kafka or both")
      ("format", po::value(&format)->default_value("segments"),
       "the embedded log's storage: segments, rocksdb or both (one after the other)")
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
  if (format != "segments" && format != "rocksdb" && format != "both") {
    throw UsageError("--format must be segments, rocksdb or both, got \"" + format + "\"");
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
    struct Run {
      const char* format;
      bench::LogBenchResult result;
      std::string label;
      bench::DiskBandwidth disk;
      bench::DiskBandwidth disk_many;
    };
    std::vector<Run> runs;
    for (const char* f : {"rocksdb", "segments"}) {
      if (format != "both" && format != f) continue;
      // One format: DIR/log, as tally serve lays it out; both: one each.
      const std::string log_dir = dir + (format == "both" ? std::string("/log-") + f : "/log");
      const EmbeddedFormat ef = std::string(f) == "rocksdb" ? EmbeddedFormat::rocksdb
                                                             : EmbeddedFormat::segments;
      settle_disk(dir);
      auto log = check(open_embedded_log({.dir = log_dir, .partitions = partitions, .create_format = ef}));
      const auto held = embedded_format_of(log_dir);
      const char* actual = held == EmbeddedFormat::rocksdb ? "rocksdb" : "segments";
      // The disk in the same directory, in slices between the log's (ten
      // of each, as long as the run together), each writing the log's mean
      // group so far: both see the same moments of a shared disk.
      bench::DiskBandwidth disk, disk_many;
      bench::DiskProbe disk_probe(dir);
      auto probe = [&](const bench::LogBenchResult& so_far) -> Status {
        const uint64_t each = so_far.bytes / std::max<uint64_t>(so_far.records, 1);
        const size_t group = std::max<size_t>(
            so_far.mean_group_bytes() != 0 ? so_far.mean_group_bytes() : bench.threads * each, 1);
        // Half the slice one writer, half `threads` writers at once.
        const auto half = bench.duration / kSlices / 2;
        TALLY_ASSIGN_OR_RETURN(bench::DiskBandwidth one, disk_probe.run(group, half));
        TALLY_ASSIGN_OR_RETURN(bench::DiskBandwidth many, disk_probe.run(group, half, bench.threads));
        disk.add(one);
        disk_many.add(many);
        return Status::Ok();
      };
      bench::LogBenchOptions sliced = bench;
      sliced.slices = kSlices;
      sliced.between = probe;
      const auto r = check(bench::run_log_bench(*log, sliced), "embedded log");
      log.reset();
      check(probe(r), "measuring the disk's fsync'd bandwidth");
      // One format: the label of the runs before --format; both: each names its own.
      const std::string which = format == "both" ? " (" + std::string(actual) + ")" : "";
      if (format != "both") std::cout << "embedded log format: " << actual << "\n";
      runs.push_back({actual, r, "embedded" + which + ", " + std::to_string(partitions) +
                                     " partitions, fsync'd", disk, disk_many});
    }
    for (const Run& run : runs) {
      report(run.label, run.result, out, header, "embedded", &run.disk, &run.disk_many, run.format);
    }
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
