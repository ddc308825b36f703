#include "projections/model.h"

#include "engine/core/partitioner.h"

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

}  // namespace tally
