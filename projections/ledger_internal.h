// Internals of the ledger state machine, shared by projections/ledger*.cc.
// Not part of the projection's public interface: include ledger.h instead.
//
// Each function applies or checks one command kind against `state` and
// returns its outcome. The order of the checks inside each is the order
// documented in docs/outcomes.md; keep the two in step.
#pragma once

#include "engine/core/checked_math.h"
#include "projections/ledger.h"

namespace tally::ledger_detail {

// What one command applies with.
struct Context {
  PartitionState& state;
  CommandExtension* extension;  // may be null
  Timestamp timestamp;          // this command's
  bool in_chain;                // part of a linked chain (also its last command)
};

// --- ledger_accounts.cc ---
Outcome create_account(const Context& ctx, const CreateAccount& command);

// --- ledger_transfers.cc ---
Outcome create_transfer(const Context& ctx, const CreateTransfer& command);

// --- ledger_pending.cc ---
// A post_pending or void_pending create_transfer whose id is valid, owned
// and free. Records nothing on rejection (the caller does).
Outcome post_or_void(const Context& ctx, const CreateTransfer& command);
Outcome expire_pending(const Context& ctx, const ExpirePending& command);

// --- ledger_exists.cc ---
// The outcome of a command whose id already has a record `existing`.
Outcome account_exists(const CreateAccount& command, const Account& existing);
Outcome transfer_exists(const PartitionState& state, const CreateTransfer& command,
                        const Transfer& existing);

// --- ledger_books.cc: small helpers ---
// What an account has been debited (credited) in all, pending and posted.
// Never overflows: every increase is checked against it first.
inline u128 debits_total(const Balances& b) { return add_checked(b.debits_pending, b.debits_posted); }
inline u128 credits_total(const Balances& b) { return add_checked(b.credits_pending, b.credits_posted); }
inline bool is_post_or_void(uint16_t flags) {
  return (flags & (transfer_flags::post_pending | transfer_flags::void_pending)) != 0;
}
// An account transfers may use: present and created (a rejected record
// under that id is no account).
const Account* live_account(const PartitionState& state, AccountId id);
// A transfer record that was created (rejections are records, not transfers).
const Transfer* live_transfer(const PartitionState& state, TransferId id);
// add_checked and sub_checked (asserting u128 arithmetic) live in
// engine/core/checked_math.h, shared with the saga step (recovery/sagas.cc).
// Adds the history entry of `account` (as it is now, after `transfer`
// changed it).
void add_history(PartitionState& state, const Account& account, Timestamp timestamp,
                 TransferId transfer);
// The expiry timer of a pending transfer with a timeout.
Timer expiry_timer(const Transfer& pending);
// Records `command` under its id as rejected with `outcome` (final for the id).
void record_rejected_transfer(PartitionState& state, const CreateTransfer& command,
                              Timestamp timestamp, Outcome outcome);

}  // namespace tally::ledger_detail
