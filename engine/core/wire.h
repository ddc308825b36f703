// Conversions between the engine's values and the wire schema's structs
// (engine/schema/tally.fbs): the one mapping the command codec (codec.cc)
// and the change stream's messages (engine/node/event_codec.cc) share.
#pragma once

#include "engine/core/command.h"
#include "engine/schema/tally_generated.h"

namespace tally {

inline wire::U128 to_wire(u128 v) { return wire::U128(u128_lo(v), u128_hi(v)); }
inline u128 from_wire(const wire::U128& v) { return make_u128(v.hi(), v.lo()); }

inline wire::Transfer transfer_to_wire(const TransferFields& t) {
  return wire::Transfer(to_wire(t.id.value()), to_wire(t.debit_account_id.value()),
                        to_wire(t.credit_account_id.value()), to_wire(t.amount.value()),
                        to_wire(t.pending_id.value()), to_wire(t.user_data_128), t.user_data_64,
                        t.user_data_32, t.timeout_seconds, t.ledger, t.code, t.flags);
}

inline TransferFields transfer_from_wire(const wire::Transfer& t) {
  return TransferFields{TransferId(from_wire(t.id())),
                        AccountId(from_wire(t.debit_account_id())),
                        AccountId(from_wire(t.credit_account_id())),
                        Amount(from_wire(t.amount())),
                        TransferId(from_wire(t.pending_id())),
                        from_wire(t.user_data_128()),
                        t.user_data_64(),
                        t.user_data_32(),
                        t.timeout(),
                        t.ledger(),
                        t.code(),
                        t.flags()};
}

}  // namespace tally
