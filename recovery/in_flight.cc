#include "recovery/in_flight.h"

#include <cassert>

#include "engine/core/thread_annotations.h"

namespace tally {

InFlight::InFlight(uint32_t partitions, uint64_t window, std::function<Offset(Partition)> applied,
                   std::function<uint64_t(Partition)> outbox)
    : window_(window), applied_(std::move(applied)), outbox_(std::move(outbox)) {
  assert(applied_);
  for (uint32_t p = 0; p < partitions; p++) parts_.push_back(std::make_unique<Part>());
}

void InFlight::appended(Partition p, Offset offset, uint64_t commands) {
  if (commands == 0) return;
  Part& part = *parts_.at(p.value);
  tally::MutexLock lock(part.mu);
  // Already applied (a fast pipeline beat the writer's report): never counted.
  if (offset < applied_(p)) return;
  auto [it, inserted] = part.records.emplace(offset.value, commands);
  assert(inserted && "one record per offset");
  (void)it;
  if (!inserted) return;
  part.commands += commands;
  total_ += commands;
}

uint64_t InFlight::retire_locked(uint32_t p, Part& part) {
  const uint64_t below = applied_(Partition{p}).value;
  uint64_t done = 0;
  auto it = part.records.begin();
  while (it != part.records.end() && it->first < below) {
    done += it->second;
    it = part.records.erase(it);
  }
  assert(done <= part.commands);
  part.commands -= done;
  total_ -= done;
  return done;
}

void InFlight::retire(Partition p) {
  Part& part = *parts_.at(p.value);
  uint64_t done = 0;
  {
    tally::MutexLock lock(part.mu);
    if (part.records.empty()) return;
    done = retire_locked(p.value, part);
  }
  if (done > 0) {
    tally::MutexLock lock(wait_mu_);  // a waiter between its check and its wait sees this
    wait_cv_.notify_all();
  }
}

uint64_t InFlight::count() {
  uint64_t waiting = 0;
  for (uint32_t p = 0; p < parts_.size(); p++) {
    Part& part = *parts_[p];
    {
      tally::MutexLock lock(part.mu);
      if (!part.records.empty()) retire_locked(p, part);
    }
    if (outbox_) waiting += outbox_(Partition{p});
  }
  return total_.load() + waiting;
}

uint64_t InFlight::count(Partition p) {
  Part& part = *parts_.at(p.value);
  uint64_t queued = 0;
  {
    tally::MutexLock lock(part.mu);
    if (!part.records.empty()) retire_locked(p.value, part);
    queued = part.commands;
  }
  return queued + (outbox_ ? outbox_(p) : 0);
}

bool InFlight::admit(uint64_t commands, Clock::time_point deadline) {
  auto fits = [&] {
    const uint64_t n = count();
    return window_ == 0 || n == 0 || n + commands <= window_;
  };
  if (!fits()) {
    tally::UniqueLock lock(wait_mu_);
    // A short wait as a safety net: a partition another thread retires
    // without a notify (count() from a reader) is seen within it.
    while (!fits()) {
      if (Clock::now() >= deadline) {
        refused_++;
        return false;
      }
      wait_cv_.wait_until(lock.native(), std::min(deadline, Clock::now() + std::chrono::milliseconds(2)));
    }
  }
  admitted_++;
  return true;
}

}  // namespace tally
