// The ledger's state machine: one record's commands applied to a
// partition's state, deterministically. Pure: no I/O, no clock, no
// randomness, no iteration over unordered containers. The same state and
// the same commands always give the same outcomes and the same changes.
//
// Rules follow docs/design.md "Commands, outcomes and the rules" and, where they
// apply, TigerBeetle's create_accounts / create_transfers semantics. Every
// outcome code, the order in which the checks run (which code wins when
// several apply) and whether the code is recorded under the command's id
// are listed in docs/outcomes.md.
//
// Who calls it: the partition's pipeline thread (one at a time per
// partition), and tests. Not thread-safe: it mutates `state`.
#pragma once

#include <span>
#include <vector>

#include "engine/core/command.h"
#include "projections/state.h"

namespace tally {

// What the ledger alone does not decide: transfers whose credit account
// lives in another partition (sagas) and the saga's own commands. The saga
// coordinator (recovery/sagas.h) implements it. Called only from
// apply_record, never inside a linked chain's scope.
class CommandExtension {
 public:
  virtual ~CommandExtension() = default;
  // A create_transfer that passed every check that needs no state (ids,
  // flags, ledger, code), is single-phase (no pending, balancing or closing
  // flag), is not part of a linked chain, has no record under its id yet,
  // and whose debit account is in this partition and credit account
  // (valid, not reserved) in another. The extension decides the outcome and
  // records the transfer under its id itself (created or rejected), with
  // requested_credit_account_id / requested_amount / requested_ledger /
  // requested_code set to the command's fields: a later command with the
  // same id is answered by the ledger's idempotency check against them.
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

// Applies the commands of one record in order; `out` is cleared first and
// then holds exactly one outcome and one timestamp per command. Each command
// gets the next timestamp (state.next_timestamp(append_time)), whatever its
// outcome.
//
// Linked chains: a create_account or create_transfer with the `linked` flag
// starts (or continues) a chain that ends with the next such command without
// the flag. A chain applies all or nothing: if one command's outcome is not
// created or exists, every change of the chain is rolled back (balances,
// records under ids, history, timers), that command keeps its own outcome
// and every other command of the chain gets linked_event_failed. A chain
// still open at the end of the record, or when a system command (expire,
// saga) follows it, fails the same way and its last command gets
// linked_event_chain_open. The system command then applies normally.
//
// `extension` may be null (tests of the ledger alone): then a cross-partition
// transfer is rejected with credit_account_not_found (recorded under its id)
// and a saga command gets saga_not_found.
//
// REQUIRES: state is not in a scope; every transfer a command refers to
// (see referenced_transfers) that exists is loaded into `state`.
void apply_record(PartitionState& state, std::span<const Command> commands,
                  Timestamp append_time, CommandExtension* extension, RecordOutcome& out);

// Appends to `out` the transfer ids a record may look up, which the pipeline
// must prefetch: the id and pending_id of each create_transfer, the
// pending_id of each expire_pending, and the saga_id of each saga_credit,
// saga_reply and saga_timeout. Ids that are not valid (0, 2^128 - 1) are
// left out; an id may appear more than once.
void referenced_transfers(std::span<const Command> commands, std::vector<TransferId>& out);

}  // namespace tally
