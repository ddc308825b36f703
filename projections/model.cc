#include "projections/model.h"

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

}  // namespace tally
