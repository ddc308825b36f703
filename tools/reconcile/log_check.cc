// The log against the outcomes: each applied record's outcomes ('O') are as
// many as the record's commands; a quarantined one ('E') does not decode.
// The records past the applied offset (the tail) are read too, for the
// consistent cut of the checks across partitions (LogTail, cross_check.cc).
#include "engine/core/codec.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {
namespace {
constexpr size_t kRecordsPerRead = 256;
constexpr std::chrono::seconds kReadWait{5};

// What the cut needs of a record the store has not applied.
void note_tail(const LogRecord& r, LogTail& tail) {
  auto commands = decode_batch(r.value);
  if (!commands.ok()) return;  // the pipeline would quarantine it: no saga step
  for (const Command& c : *commands) {
    if (const auto* t = std::get_if<CreateTransfer>(&c)) {
      tail.transfers.insert(t->id);
    } else if (const auto* l = std::get_if<SagaCredit>(&c)) {
      tail.legs.insert({l->source_partition.value, l->saga_id});
    } else if (const auto* x = std::get_if<SagaCancel>(&c)) {
      tail.legs.insert({x->source_partition.value, x->saga_id});
    }
  }
}

}  // namespace

void PartitionChecker::check_outcomes(const LogRecord& r, size_t& o, size_t& e) {
  const uint64_t at = r.offset.value;
  while (o < outcome_counts_.size() && outcome_counts_[o].first < at) o++;
  while (e < quarantined_.size() && quarantined_[e] < at) e++;
  auto commands = decode_batch(r.value);
  std::optional<std::string> expected, found;
  if (o < outcome_counts_.size() && outcome_counts_[o].first == at) {
    const uint32_t outcomes = outcome_counts_[o].second;
    if (!commands.ok()) {
      expected = "no outcomes: the record does not decode (" + commands.status().message() + ")";
      found = std::to_string(outcomes) + " outcomes";
    } else if (commands->size() != outcomes) {
      expected = std::to_string(commands->size()) + " outcomes, one per command";
      found = std::to_string(outcomes);
    }
  } else if (e < quarantined_.size() && quarantined_[e] == at && commands.ok()) {
    expected = std::to_string(commands->size()) + " outcomes: the record decodes";
    found = "a quarantine record";
  }
  if (!expected) return;
  report({.kind = "outcome_count", .subject = "offset", .id = std::to_string(at),
          .expected = *expected, .found = *found, .first_offset = at,
          .detail = "the stored outcomes do not match the log's record"});
}

Status PartitionChecker::check_log() {
  if (log_ == nullptr) return Status::Ok();
  const uint64_t applied = facts_->meta.next_offset.value;
  TALLY_ASSIGN_OR_RETURN(Offset log_end, log_->end_offset(partition_));
  facts_->tail.read = true;
  facts_->tail.log_end = log_end;
  if (log_end.value < applied) {
    report({.kind = "offset_beyond_log", .subject = "offset", .id = std::to_string(log_end.value),
            .expected = "the log to hold the applied offsets below " + std::to_string(applied),
            .found = "the log ends at " + std::to_string(log_end.value),
            .first_offset = log_end.value,
            .detail = "the store applied records this log does not have (another log?)"});
  }
  if (log_end.value == 0) return Status::Ok();
  TALLY_ASSIGN_OR_RETURN(auto reader, log_->read(partition_, Offset{0}));
  size_t o = 0, e = 0;
  while (reader->position() < log_end) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(kRecordsPerRead, log_end.value - reader->position().value));
    TALLY_ASSIGN_OR_RETURN(std::vector<LogRecord> records, reader->next(want, kReadWait));
    if (records.empty()) {
      return Status::Unavailable("no record arrived from " + log_->describe() + " at offset " +
                                 std::to_string(reader->position().value));
    }
    for (const LogRecord& r : records) {
      if (r.offset.value < applied) {
        check_outcomes(r, o, e);
      } else {
        note_tail(r, facts_->tail);
      }
    }
  }
  return Status::Ok();
}

}  // namespace tally::reconcile::detail
