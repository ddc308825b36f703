// The change stream's events (docs/events.md): one per command the ledger
// applied, in log order per partition, derived from what is already stored
// (the record's commands as the log holds them, the outcomes in 'O', the
// created transfer in 'T', balances after in 'H'): nothing more is written
// on the apply path.
//
// A position in the stream is an EventCursor: the command at `index` of the
// record at `offset` in `partition`. The text form is "P-O-I". The cursor
// after the last command of record O is (O + 1, 0). Events are a function of
// the store and the log alone, so the same position yields the same event,
// byte for byte, however often it is read (the key a consumer dedupes by).
//
// Thread-safe: pure functions over a store that may be written meanwhile.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "projections/store.h"

namespace tally {

struct EventCursor {
  Partition partition;
  Offset offset;
  uint32_t index = 0;  // the command within the record
  auto operator<=>(const EventCursor&) const = default;
};

// "P-O-I" (decimal, no leading zeros).
std::string cursor_to_string(const EventCursor& c);
// invalid_argument naming `field` and the form when `text` is not "P-O-I"
// with P < partition_count.
Result<EventCursor> parse_cursor(std::string_view text, std::string_view field, uint32_t partition_count);

// An account's balances right after the event, for accounts with the
// `history` flag (the others' balances are not kept per change: read them
// with GET /v1/accounts/{id}).
struct EventBalances {
  AccountId account;
  Balances balances;
  bool operator==(const EventBalances&) const = default;
};

struct ChangeEvent {
  EventCursor position;
  Timestamp timestamp;  // the ledger time the command applied at (0: quarantined record)
  // A record set aside by verification (never applied) is one event with
  // no command: `quarantined` holds the reason.
  std::optional<std::string> quarantined;
  Command command;
  Outcome outcome = Outcome::created;
  // For a command that created a transfer (or a saga's credit leg): the
  // transfer as stored, whose fields do not change afterwards (its pending
  // state does; later events say so).
  std::optional<Transfer> transfer;
  std::vector<EventBalances> balances;  // in the order the command names the accounts
};

// The events of the applied record at `offset`, from command `from_index`
// on: `commands` as decoded from the log, `outcomes` as the store holds them.
// corruption when the two disagree in length; invalid_argument when
// from_index is past the record's commands.
Result<std::vector<ChangeEvent>> record_events(const PartitionStore& store, Partition partition, Offset offset,
                                               std::span<const Command> commands, const OffsetOutcomes& outcomes,
                                               uint32_t from_index);

// The one event of a quarantined record.
ChangeEvent quarantine_event(Partition partition, Offset offset, std::string reason);

// The position right after `e`: the next command, or the next record.
EventCursor cursor_after(const ChangeEvent& e, size_t record_commands);

}  // namespace tally
