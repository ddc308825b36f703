#include "engine/node/scrubber.h"

#include "engine/core/logging.h"
#include "engine/core/thread_annotations.h"
#include "engine/storage/rocks_support.h"

namespace tally {
namespace {

constexpr size_t kFindingsShown = 5;

std::string pace_text(const ScrubberOptions& o) {
  const std::string every = "every " + std::to_string(o.interval.count() / 1000) + " s";
  if (o.bytes_per_second == 0) return every + ", unpaced";
  return every + " at most " + format_bytes(o.bytes_per_second) + "/s";
}

}  // namespace

Scrubber::Scrubber(std::vector<ScrubTarget> targets, Log* log, ScrubberOptions options)
    : targets_(std::move(targets)), log_(log), options_(options) {}

Scrubber::~Scrubber() { stop(); }

void Scrubber::start() {
  if (options_.interval.count() <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Scrubber::stop() {
  stop_flag_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t Scrubber::passes() const {
  tally::MutexLock lock(mu_);
  return passes_;
}

void Scrubber::run() {
  tally::UniqueLock lock(mu_);
  for (;;) {
    cv_.wait_for(lock.native(), options_.interval, [this] { return stop_flag_.load(); });
    if (stop_flag_) return;
    in_pass_ = true;
    lock.unlock();
    const ScrubReport report =
        scrub_pass(targets_, log_, {.bytes_per_second = options_.bytes_per_second, .stop = &stop_flag_});
    if (!report.stopped) record(report);
    lock.lock();
    in_pass_ = false;
    if (!report.stopped) {
      passes_++;
      last_ = report;
      last_end_ = std::chrono::steady_clock::now();
    }
  }
}

void Scrubber::record(const ScrubReport& r) {
  for (const ScrubFinding& f : r.damaged) {
    logging::error("scrub", "damaged: {}: {} (docs/operations.md \"When the disk fails\")", f.where(),
                   f.reason);
  }
  if (r.damaged.empty()) {
    logging::info("scrub", "pass intact: {} table files ({}), {} log records ({}) in {:.1f} s",
                  r.files, format_bytes(r.bytes), r.records, format_bytes(r.record_bytes), r.seconds);
  }
}

ComponentHealth Scrubber::health() const {
  ComponentHealth c{"scrub", false, true, ""};
  if (options_.interval.count() <= 0) {
    c.detail = "off (--scrub-interval 0)";
    return c;
  }
  tally::MutexLock lock(mu_);
  const std::string pace = pace_text(options_);
  if (!last_) {
    c.detail = std::string(in_pass_ ? "first pass in progress" : "no pass yet") + "; " + pace;
    return c;
  }
  const auto ago = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - last_end_);
  const std::string when = "pass " + std::to_string(passes_) + " ended " + std::to_string(ago.count()) + " s ago";
  if (last_->damaged.empty()) {
    c.detail = "intact: " + std::to_string(last_->files) + " table files (" + format_bytes(last_->bytes) +
               "), " + std::to_string(last_->records) + " log records; " + when + "; " + pace;
    return c;
  }
  c.ok = false;
  c.detail = std::to_string(last_->damaged.size()) + " damaged: ";
  for (size_t i = 0; i < last_->damaged.size() && i < kFindingsShown; i++) {
    const ScrubFinding& f = last_->damaged[i];
    c.detail += (i == 0 ? "" : "; ") + f.where() + " (" + f.reason + ")";
  }
  if (last_->damaged.size() > kFindingsShown) c.detail += "; ...";
  c.detail += "; " + when + "; restore from a checkpoint or rebuild with tally replay "
              "(docs/operations.md \"When the disk fails\")";
  return c;
}

}  // namespace tally
