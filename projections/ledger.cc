// apply_record: the order of a record's commands, linked chains, and the
// dispatch of each command to its rules (ledger_accounts.cc,
// ledger_transfers.cc, ledger_pending.cc) or to the saga extension.
#include "projections/ledger.h"

#include <cassert>

#include "projections/ledger_internal.h"

namespace tally {
namespace {

using ledger_detail::Context;

// Commands that may take part in a linked chain: the producers' own.
bool chainable(const Command& c) {
  return std::holds_alternative<CreateAccount>(c) || std::holds_alternative<CreateTransfer>(c);
}

bool linked(const Command& c) {
  if (const auto* a = std::get_if<CreateAccount>(&c)) return (a->flags & account_flags::linked) != 0;
  if (const auto* t = std::get_if<CreateTransfer>(&c)) return (t->flags & transfer_flags::linked) != 0;
  return false;
}

Outcome apply_one(const Context& ctx, const Command& c) {
  if (const auto* a = std::get_if<CreateAccount>(&c)) return ledger_detail::create_account(ctx, *a);
  if (const auto* t = std::get_if<CreateTransfer>(&c)) return ledger_detail::create_transfer(ctx, *t);
  if (const auto* e = std::get_if<ExpirePending>(&c)) return ledger_detail::expire_pending(ctx, *e);
  // SagaCredit, SagaReply, SagaCancel, SagaTimeout.
  if (ctx.extension == nullptr) return Outcome::saga_not_found;
  return ctx.extension->apply_saga_command(ctx.state, c, ctx.timestamp);
}

class RecordApplier {
 public:
  RecordApplier(PartitionState& state, std::span<const Command> commands, Timestamp append_time,
                CommandExtension* extension, RecordOutcome& out)
      : state_(state), commands_(commands), append_time_(append_time), extension_(extension),
        out_(out) {}

  void run() {
    size_t i = 0;
    while (i < commands_.size()) {
      const Command& c = commands_[i];
      if (chainable(c) && linked(c)) {
        i = apply_chain(i);
      } else {
        const Timestamp ts = state_.next_timestamp(append_time_);
        emit(apply_one(Context{state_, extension_, ts, false}, c), ts);
        i++;
      }
    }
  }

 private:
  // The chain that starts at `first`; returns the index after it.
  size_t apply_chain(size_t first) {
    // The chain's last command is the first chainable one without `linked`;
    // if a system command or the end of the record comes first, the chain
    // is open and its last command is the last linked one.
    size_t last = first;
    while (last < commands_.size() && chainable(commands_[last]) && linked(commands_[last])) last++;
    const bool open = last == commands_.size() || !chainable(commands_[last]);
    if (open) last--;

    state_.begin_scope();
    size_t failed = commands_.size();  // the index of the command that failed, if any
    for (size_t k = first; k <= last; k++) {
      const Timestamp ts = state_.next_timestamp(append_time_);
      Outcome o = Outcome::linked_event_failed;
      if (open && k == last) {
        o = Outcome::linked_event_chain_open;
      } else if (failed == commands_.size()) {
        o = apply_one(Context{state_, extension_, ts, true}, commands_[k]);
        if (!outcome_ok(o)) failed = k;
      }
      emit(o, ts);
    }
    if (failed == commands_.size() && !open) {
      state_.commit_scope();
    } else {
      state_.rollback_scope();
      // Every command of the chain before the failing one had applied.
      const size_t base = out_.outcomes.size() - (last - first + 1);
      for (size_t k = first; k < last && k < failed; k++) {
        out_.outcomes[base + (k - first)] = Outcome::linked_event_failed;
      }
    }
    return last + 1;
  }

  void emit(Outcome o, Timestamp ts) {
    out_.outcomes.push_back(o);
    out_.timestamps.push_back(ts);
  }

  PartitionState& state_;
  std::span<const Command> commands_;
  const Timestamp append_time_;
  CommandExtension* const extension_;
  RecordOutcome& out_;
};

}  // namespace

void apply_record(PartitionState& state, std::span<const Command> commands, Timestamp append_time,
                  CommandExtension* extension, RecordOutcome& out) {
  assert(!state.in_scope());
  out.outcomes.clear();
  out.timestamps.clear();
  out.outcomes.reserve(commands.size());
  out.timestamps.reserve(commands.size());
  RecordApplier(state, commands, append_time, extension, out).run();
  assert(out.outcomes.size() == commands.size() && out.timestamps.size() == commands.size());
}

void referenced_transfers(std::span<const Command> commands, std::vector<TransferId>& out) {
  auto add = [&out](TransferId id) {
    if (id.valid()) out.push_back(id);
  };
  for (const Command& c : commands) {
    if (const auto* t = std::get_if<CreateTransfer>(&c)) {
      add(t->id);
      add(t->pending_id);
    } else if (const auto* e = std::get_if<ExpirePending>(&c)) {
      add(e->pending_id);
    } else if (const auto* s = std::get_if<SagaCredit>(&c)) {
      add(s->saga_id);
    } else if (const auto* r = std::get_if<SagaReply>(&c)) {
      add(r->saga_id);
    } else if (const auto* o = std::get_if<SagaTimeout>(&c)) {
      add(o->saga_id);
    }
  }
}

}  // namespace tally
