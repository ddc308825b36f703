#include "projections/model.h"

#include <algorithm>

#include "engine/core/digest.h"
#include "engine/core/partitioner.h"
#include "engine/core/tally_limits.h"

namespace tally {

Transfer transfer_record(const CreateTransfer& c, Timestamp timestamp, Outcome outcome) {
  Transfer t;
  static_cast<TransferFields&>(t) = c;
  t.timestamp = timestamp;
  t.outcome = outcome;
  t.requested_amount = c.amount;
  t.requested_credit_account_id = c.credit_account_id;
  t.requested_ledger = c.ledger;
  t.requested_code = c.code;
  return t;
}

std::optional<SagaLeg> credited_leg(const Transfer& t, Partition source, uint32_t partition_count) {
  if (t.kind != TransferKind::saga_credit || t.outcome != Outcome::created) return std::nullopt;
  if (partition_of_key(t.id.hi(), partition_count) != source) return std::nullopt;
  return SagaLeg{t.id, source, LegDecision::credited, Outcome::created, t.timestamp};
}

uint64_t saga_interval_ns(TransferId saga, uint32_t attempt) {
  const uint32_t doublings = attempt == 0 ? 0 : std::min<uint32_t>(attempt - 1, 16);
  uint64_t base = limits::kSagaFirstDeadlineNs << doublings;
  if (base > limits::kSagaMaxIntervalNs) base = limits::kSagaMaxIntervalNs;
  Digest d;
  d.add(saga.value());
  d.add(uint64_t{attempt});
  const uint64_t r = Digest::finish(d.state()) % 4001;  // 0..4000 → -20.00%..+20.00%
  return base / 10000 * (8000 + r);
}

Timestamp saga_deadline(TransferId saga, Timestamp from, uint32_t attempt) {
  const uint64_t wait = saga_interval_ns(saga, attempt);
  return Timestamp{from.ns > ~uint64_t{0} - wait ? ~uint64_t{0} : from.ns + wait};
}

std::optional<Saga> started_saga(const Transfer& t, uint32_t partition_count) {
  if (t.kind != TransferKind::saga_source || t.outcome != Outcome::created) return std::nullopt;
  Saga s;
  s.id = t.id;
  s.source = partition_of(t.debit_account_id, partition_count);
  s.destination = partition_of(t.credit_account_id, partition_count);
  s.started = t.timestamp;
  s.attempts = 1;
  s.deadline = saga_deadline(t.id, t.timestamp, 1);
  return s;
}

}  // namespace tally
