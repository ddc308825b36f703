// The ledger's state machine: one record's commands applied to a
// partition's state, deterministically. Pure: no I/O, no clock, no
// randomness, no iteration over unordered containers. The same state and
// the same commands always give the same outcomes and the same changes.
//
// Rules follow DESIGN.md "Commands, outcomes and the rules" and, where they
// apply, TigerBeetle's create_accounts / create_transfers semantics; every
// outcome code is listed with its meaning in docs/outcomes.md.
#pragma once

#include <span>
#include <vector>

#include "engine/core/command.h"
#include "projections/state.h"

namespace tally {

// What the ledger alone does not decide: transfers whose credit account
// lives in another partition (sagas) and the saga's own commands. The saga
// coordinator (recovery/sagas.h) implements it.
class CommandExtension {
 public:
  virtual ~CommandExtension() = default;
  // A single-phase create_transfer, not in a linked chain, whose debit
  // account is in this partition and credit account in another.
  virtual Outcome begin_cross_partition(PartitionState& state, const CreateTransfer& transfer,
                                        Timestamp timestamp) = 0;
  // SagaCredit, SagaReply, SagaCancel or SagaTimeout.
  virtual Outcome apply_saga_command(PartitionState& state, const Command& command,
                                     Timestamp timestamp) = 0;
};

struct RecordOutcome {
  std::vector<Outcome> outcomes;      // one per command, in order
  std::vector<Timestamp> timestamps;  // the timestamp each command got
};

// Applies the commands of one record in order. Each command gets the next
// timestamp (state.next_timestamp(append_time)). Linked chains (commands
// with the `linked` flag followed by the command that ends the chain) apply
// all or nothing. `extension` may be null (tests of the ledger alone): then
// a cross-partition transfer is rejected with credit_account_not_found and
// a saga command with saga_not_found.
//
// REQUIRES: every transfer a command refers to (its id, its pending_id) that
// exists is loaded into `state` (the pipeline prefetches them).
void apply_record(PartitionState& state, std::span<const Command> commands,
                  Timestamp append_time, CommandExtension* extension, RecordOutcome& out);

// The transfer ids a record refers to, which the pipeline must prefetch.
void referenced_transfers(std::span<const Command> commands, std::vector<TransferId>& out);

}  // namespace tally
