#include "projections/model.h"

namespace tally {

Transfer transfer_record(const CreateTransfer& c, Timestamp timestamp, Outcome outcome) {
  Transfer t;
  t.id = c.id;
  t.debit_account_id = c.debit_account_id;
  t.credit_account_id = c.credit_account_id;
  t.amount = c.amount;
  t.pending_id = c.pending_id;
  t.user_data_128 = c.user_data_128;
  t.user_data_64 = c.user_data_64;
  t.user_data_32 = c.user_data_32;
  t.timeout_seconds = c.timeout_seconds;
  t.ledger = c.ledger;
  t.code = c.code;
  t.flags = c.flags;
  t.timestamp = timestamp;
  t.outcome = outcome;
  t.requested_amount = c.amount;
  t.requested_credit_account_id = c.credit_account_id;
  t.requested_ledger = c.ledger;
  t.requested_code = c.code;
  return t;
}

}  // namespace tally
