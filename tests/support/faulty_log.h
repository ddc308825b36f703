// Test support: a fault injector around a real Log (LevelDB's SpecialEnv in
// spirit). While faults are switched on, append() fails with the chosen
// status without reaching the inner log; everything else, and every append
// while healthy, is the real log's. The Faults object is shared so a test
// keeps control after handing the log to a Node. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

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
  Status failure() const {
    std::lock_guard lock(mu_);
    return failure_;
  }
  std::atomic<uint64_t> appends_tried{0};   // calls that reached the injector
  std::atomic<uint64_t> appends_failed{0};  // calls it failed on purpose

 private:
  mutable std::mutex mu_;
  Status failure_;  // ok: healthy
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
    return inner_->read(partition, from);
  }
  Result<Offset> end_offset(Partition partition) override { return inner_->end_offset(partition); }
  size_t max_record_bytes() const override { return inner_->max_record_bytes(); }
  std::string describe() const override { return "faulty " + inner_->describe(); }
  Status checkpoint(const std::string& dir) override { return inner_->checkpoint(dir); }

 private:
  std::unique_ptr<Log> inner_;
  std::shared_ptr<Faults> faults_;
};

}  // namespace tally::test
