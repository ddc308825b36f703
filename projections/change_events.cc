#include "projections/change_events.h"

#include <cassert>
#include <charconv>

#include "projections/queries.h"

namespace tally {
namespace {

template <typename T>
bool parse_decimal(std::string_view text, T& out) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The transfer a command created, as it was when created: the stored record
// with its pending state set back to where every pending transfer starts.
Result<std::optional<Transfer>> created_transfer(const PartitionStore& store, const Command& c, Outcome outcome) {
  if (outcome != Outcome::created) return std::optional<Transfer>();
  if (!std::holds_alternative<CreateTransfer>(c) && !std::holds_alternative<SagaCredit>(c)) {
    return std::optional<Transfer>();
  }
  TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> t, store.transfer(TransferId(command_subject(c))));
  if (t) t->state = (t->flags & transfer_flags::pending) != 0 ? PendingState::pending : PendingState::none;
  return t;
}

// The accounts whose balances the command may have changed, in the order it
// names them: the created transfer's (a post or void may leave the command's
// accounts zero), else the command's own, else the expired pending's. Which
// of them it did change, its history says (an entry at its timestamp), so
// no outcome needs reading here.
Result<std::vector<AccountId>> touched_accounts(const PartitionStore& store, const ChangeEvent& e) {
  if (e.transfer) return std::vector<AccountId>{e.transfer->debit_account_id, e.transfer->credit_account_id};
  if (const auto* t = std::get_if<CreateTransfer>(&e.command)) {
    return std::vector<AccountId>{t->debit_account_id, t->credit_account_id};
  }
  if (const auto* x = std::get_if<ExpirePending>(&e.command)) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> p, store.transfer(x->pending_id));
    if (!p) return std::vector<AccountId>{x->debit_account_id};
    return std::vector<AccountId>{p->debit_account_id, p->credit_account_id};
  }
  if (const auto* r = std::get_if<SagaReply>(&e.command)) return std::vector<AccountId>{r->debit_account_id};
  if (const auto* t = std::get_if<SagaTimeout>(&e.command)) return std::vector<AccountId>{t->debit_account_id};
  if (const auto* k = std::get_if<SagaCancel>(&e.command)) return std::vector<AccountId>{k->credit_account_id};
  return std::vector<AccountId>();
}

// Each touched account's balances right after the event, where its history
// keeps them (the `history` flag); accounts of other partitions have no
// entries here and are passed over.
Status add_balances(const PartitionStore& store, ChangeEvent& e) {
  TALLY_ASSIGN_OR_RETURN(std::vector<AccountId> accounts, touched_accounts(store, e));
  for (const AccountId a : accounts) {
    if (a.value() == 0) continue;
    TALLY_RETURN_IF_ERROR(visit_history(store, a, e.timestamp, e.timestamp, false,
                                        [&](const HistoryBlock::Entry& entry) {
                                          if (entry.has_balances) e.balances.push_back({a, entry.balances});
                                          return false;
                                        }));
  }
  return Status::Ok();
}

}  // namespace

std::string cursor_to_string(const EventCursor& c) {
  return std::to_string(c.partition.value) + "-" + std::to_string(c.offset.value) + "-" + std::to_string(c.index);
}

Result<EventCursor> parse_cursor(std::string_view text, std::string_view field, uint32_t partition_count) {
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(std::string(field) + " \"" + std::string(text.substr(0, 64)) +
                                   "\" is not a cursor: " + why);
  };
  const size_t a = text.find('-');
  const size_t b = a == std::string_view::npos ? a : text.find('-', a + 1);
  if (b == std::string_view::npos) return bad("the form is PARTITION-OFFSET-INDEX, e.g. 0-17-3");
  EventCursor c;
  if (!parse_decimal(text.substr(0, a), c.partition.value) ||
      !parse_decimal(text.substr(a + 1, b - a - 1), c.offset.value) ||
      !parse_decimal(text.substr(b + 1), c.index)) {
    return bad("each part must be a decimal integer without leading zeros (PARTITION-OFFSET-INDEX)");
  }
  if (c.partition.value >= partition_count) {
    return bad("partition " + std::to_string(c.partition.value) + " is outside 0.." +
               std::to_string(partition_count - 1));
  }
  return c;
}

Result<std::vector<ChangeEvent>> record_events(const PartitionStore& store, Partition partition, Offset offset,
                                               std::span<const Command> commands, const OffsetOutcomes& outcomes,
                                               uint32_t from_index) {
  if (commands.size() != outcomes.outcomes.size()) {
    return Status::Corruption("partition " + std::to_string(partition.value) + " offset " +
                              std::to_string(offset.value) + ": the log's record has " +
                              std::to_string(commands.size()) + " commands but the store holds " +
                              std::to_string(outcomes.outcomes.size()) + " outcomes for it");
  }
  if (from_index >= commands.size()) {
    return Status::InvalidArgument("cursor index " + std::to_string(from_index) + " is past the " +
                                   std::to_string(commands.size()) + " commands of partition " +
                                   std::to_string(partition.value) + " offset " + std::to_string(offset.value));
  }
  std::vector<ChangeEvent> out;
  out.reserve(commands.size() - from_index);
  for (uint32_t i = from_index; i < commands.size(); i++) {
    ChangeEvent e;
    e.position = EventCursor{partition, offset, i};
    e.timestamp = Timestamp{outcomes.first_timestamp.ns + i};
    e.command = commands[i];
    e.outcome = outcomes.outcomes[i];
    TALLY_ASSIGN_OR_RETURN(e.transfer, created_transfer(store, e.command, e.outcome));
    TALLY_RETURN_IF_ERROR(add_balances(store, e));
    out.push_back(std::move(e));
  }
  return out;
}

ChangeEvent quarantine_event(Partition partition, Offset offset, std::string reason) {
  ChangeEvent e;
  e.position = EventCursor{partition, offset, 0};
  e.quarantined = std::move(reason);
  return e;
}

EventCursor cursor_after(const ChangeEvent& e, size_t record_commands) {
  const EventCursor& p = e.position;
  assert(e.quarantined || p.index < record_commands);
  if (e.quarantined || p.index + 1 >= record_commands) return EventCursor{p.partition, Offset{p.offset.value + 1}, 0};
  return EventCursor{p.partition, p.offset, p.index + 1};
}

}  // namespace tally
