// Test support: a fault injector around a real Log (LevelDB's SpecialEnv in
// spirit). While faults are switched on, append() fails with the chosen
// status without reaching the inner log, and readers deliver nothing while
// reads are held (as if no record arrived yet); everything else, and every
// call while healthy, is the real log's. The Faults object is shared so a
// test keeps control after handing the log to a Node. Thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/log/log.h"

namespace tally::test {

class Faults {
 public:
  // Every append fails with `status` (not ok) until heal().
  void fail_appends(Status status) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
  }
  void heal() { fail_appends(Status::Ok()); }
  // Readers deliver no record until release_reads() (appends still land).
  void hold_reads() { reads_held_ = true; }
  void release_reads() { reads_held_ = false; }
  bool reads_held() const { return reads_held_.load(); }
  // end_offset() fails with `status` (not ok) until heal_end_offsets(): the
  // log does not answer (a paused broker), while readers see nothing.
  void fail_end_offsets(Status status) {
    std::lock_guard lock(mu_);
    end_failure_ = std::move(status);
  }
  void heal_end_offsets() { fail_end_offsets(Status::Ok()); }
  Status end_failure() const {
    std::lock_guard lock(mu_);
    return end_failure_;
  }
  Status failure() const {
    std::lock_guard lock(mu_);
    return failure_;
  }
  std::atomic<uint64_t> appends_tried{0};   // calls that reached the injector
  std::atomic<uint64_t> appends_failed{0};  // calls it failed on purpose

 private:
  mutable std::mutex mu_;
  Status failure_;  // ok: healthy
  Status end_failure_;  // ok: healthy
  std::atomic<bool> reads_held_{false};
};

// A reader that waits out its `wait` with nothing while reads are held.
// Records its inner reader returns once the hold began (it was already
// waiting) are kept back until the hold ends.
class FaultyReader final : public LogReader {
 public:
  FaultyReader(std::unique_ptr<LogReader> inner, std::shared_ptr<Faults> faults)
      : inner_(std::move(inner)), faults_(std::move(faults)) {}
  Result<std::vector<LogRecord>> next(size_t max_records, std::chrono::milliseconds wait) override {
    const auto until = std::chrono::steady_clock::now() + wait;
    while (faults_->reads_held()) {
      if (std::chrono::steady_clock::now() >= until) return std::vector<LogRecord>();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!kept_.empty()) {
      const size_t n = std::min(max_records, kept_.size());
      std::vector<LogRecord> out(std::make_move_iterator(kept_.begin()),
                                 std::make_move_iterator(kept_.begin() + static_cast<std::ptrdiff_t>(n)));
      kept_.erase(kept_.begin(), kept_.begin() + static_cast<std::ptrdiff_t>(n));
      return out;
    }
    Result<std::vector<LogRecord>> got = inner_->next(max_records, wait);
    if (got.ok() && !got->empty() && faults_->reads_held()) {
      kept_ = std::move(*got);
      return std::vector<LogRecord>();
    }
    return got;
  }
  Offset position() const override { return kept_.empty() ? inner_->position() : kept_.front().offset; }

 private:
  std::unique_ptr<LogReader> inner_;
  std::shared_ptr<Faults> faults_;
  std::vector<LogRecord> kept_;  // read while held, not yet delivered
};

class FaultyLog final : public Log {
 public:
  FaultyLog(std::unique_ptr<Log> inner, std::shared_ptr<Faults> faults)
      : inner_(std::move(inner)), faults_(std::move(faults)) {}

  uint32_t partition_count() const override { return inner_->partition_count(); }
  Result<std::vector<Offset>> append(std::span<const AppendRequest> records) override {
    faults_->appends_tried++;
    Status failure = faults_->failure();
    if (!failure.ok()) {
      faults_->appends_failed++;
      return failure;
    }
    return inner_->append(records);
  }
  Result<std::unique_ptr<LogReader>> read(Partition partition, Offset from) override {
    TALLY_ASSIGN_OR_RETURN(std::unique_ptr<LogReader> reader, inner_->read(partition, from));
    return std::unique_ptr<LogReader>(std::make_unique<FaultyReader>(std::move(reader), faults_));
  }
  Result<Offset> end_offset(Partition partition) override {
    if (Status failure = faults_->end_failure(); !failure.ok()) return failure;
    return inner_->end_offset(partition);
  }
  size_t max_record_bytes() const override { return inner_->max_record_bytes(); }
  std::string describe() const override { return "faulty " + inner_->describe(); }
  Status checkpoint(const std::string& dir) override { return inner_->checkpoint(dir); }

 private:
  std::unique_ptr<Log> inner_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace tally::test
