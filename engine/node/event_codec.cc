#include "engine/node/event_codec.h"

#include "engine/core/codec.h"
#include "engine/core/wire.h"
#include "engine/schema/events_generated.h"
#include "flatbuffers/flatbuffers.h"

namespace tally {
namespace {

namespace ev = tally::events;

// The created transfer as it travels: its producer's fields, with the
// timestamp and state the event gives it back.
Transfer transfer_from_event(const wire::Transfer& x, Timestamp ts, uint8_t state) {
  Transfer t;
  static_cast<TransferFields&>(t) = transfer_from_wire(x);
  t.timestamp = ts;
  t.state = static_cast<PendingState>(state);
  return t;
}

Status bad(const std::string& why) { return Status::Corruption("event message: " + why); }

}  // namespace

std::vector<uint8_t> encode_event(const ChangeEvent& e) {
  flatbuffers::FlatBufferBuilder fbb(512);
  const auto cursor = fbb.CreateString(cursor_to_string(e.position));
  flatbuffers::Offset<flatbuffers::String> type, result, reason;
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> command;
  flatbuffers::Offset<flatbuffers::Vector<const ev::Balances*>> balances;
  if (e.quarantined) {
    type = fbb.CreateString("quarantined");
    reason = fbb.CreateString(*e.quarantined);
  } else {
    type = fbb.CreateString(command_type_name(e.command));
    result = fbb.CreateString(outcome_name(e.outcome));
    const std::vector<uint8_t> one = encode_batch(std::span<const Command>(&e.command, 1));
    command = fbb.CreateVector(one);
    std::vector<ev::Balances> list;
    for (const EventBalances& b : e.balances) {
      list.emplace_back(to_wire(b.account.value()), to_wire(b.balances.debits_pending), to_wire(b.balances.debits_posted),
                        to_wire(b.balances.credits_pending), to_wire(b.balances.credits_posted));
    }
    balances = fbb.CreateVectorOfStructs(list);
  }
  ev::EventBuilder b(fbb);
  b.add_cursor(cursor);
  b.add_partition(e.position.partition.value);
  b.add_offset(e.position.offset.value);
  b.add_index(e.position.index);
  b.add_timestamp(e.timestamp.ns);
  b.add_type(type);
  if (!e.quarantined) {
    b.add_result(result);
    b.add_result_code(static_cast<uint16_t>(e.outcome));
    b.add_command(command);
    b.add_balances(balances);
  } else {
    b.add_reason(reason);
  }
  if (e.transfer) {
    const wire::Transfer t = transfer_to_wire(*e.transfer);
    b.add_transfer(&t);
    b.add_transfer_state(static_cast<uint8_t>(e.transfer->state));
  }
  ev::FinishEventBuffer(fbb, b.Finish());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

std::string event_key(const ChangeEvent& e) {
  if (e.quarantined) return "";
  return u128_to_string(routing_account(e.command).value());
}

Result<ChangeEvent> decode_event(std::span<const uint8_t> bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!ev::VerifyEventBuffer(verifier)) return bad("not a verified Event buffer with identifier TLE1");
  const ev::Event* m = ev::GetEvent(bytes.data());
  if (m->cursor() == nullptr || m->type() == nullptr) return bad("lacks its cursor or type");
  ChangeEvent e;
  e.position = EventCursor{Partition{m->partition()}, Offset{m->offset()}, m->index()};
  if (cursor_to_string(e.position) != m->cursor()->str()) return bad("its cursor differs from its position");
  e.timestamp = Timestamp{m->timestamp()};
  if (m->type()->str() == "quarantined") {
    e.quarantined = m->reason() != nullptr ? m->reason()->str() : "";
    return e;
  }
  if (m->command() == nullptr) return bad("lacks its command");
  TALLY_ASSIGN_OR_RETURN(std::vector<Command> commands,
                         decode_batch(std::span<const uint8_t>(m->command()->data(), m->command()->size())));
  if (commands.size() != 1) return bad("its command batch holds " + std::to_string(commands.size()) + " commands");
  e.command = commands[0];
  if (!outcome_known(m->result_code())) return bad("unknown outcome code " + std::to_string(m->result_code()));
  e.outcome = static_cast<Outcome>(m->result_code());
  if (m->transfer() != nullptr) e.transfer = transfer_from_event(*m->transfer(), e.timestamp, m->transfer_state());
  if (m->balances() != nullptr) {
    for (const ev::Balances* b : *m->balances()) {
      e.balances.push_back(EventBalances{AccountId(from_wire(b->account_id())),
                                         Balances{from_wire(b->debits_pending()), from_wire(b->debits_posted()),
                                                  from_wire(b->credits_pending()), from_wire(b->credits_posted())}});
    }
  }
  return e;
}

}  // namespace tally
