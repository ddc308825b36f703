#include "engine/core/codec.h"

#include <array>
#include <cassert>

#include "engine/core/wire.h"
#include "flatbuffers/flatbuffers.h"

namespace tally {
namespace {

using wire::Kind;
// The u128 conversions of wire.h beside this file's overloads for commands.
using tally::from_wire;
using tally::to_wire;


wire::Account to_wire(const CreateAccount& a) {
  return wire::Account(to_wire(a.id.value()), to_wire(a.user_data_128), a.user_data_64,
                       a.user_data_32, a.ledger, a.code, a.flags, a.reserved);
}
wire::Transfer to_wire(const CreateTransfer& t) { return transfer_to_wire(t); }
wire::ExpirePending to_wire(const ExpirePending& e) {
  return wire::ExpirePending(to_wire(e.pending_id.value()), to_wire(e.debit_account_id.value()));
}
wire::SagaCredit to_wire(const SagaCredit& s) {
  return wire::SagaCredit(to_wire(s.saga_id.value()), to_wire(s.debit_account_id.value()),
                          to_wire(s.credit_account_id.value()), to_wire(s.amount.value()),
                          to_wire(s.user_data_128), s.user_data_64, s.user_data_32, s.ledger,
                          s.source_partition.value, s.code, 0);
}
wire::SagaReply to_wire(const SagaReply& s) {
  return wire::SagaReply(to_wire(s.saga_id.value()), to_wire(s.debit_account_id.value()),
                         s.from_partition.value, s.result, 0);
}
wire::SagaCancel to_wire(const SagaCancel& s) {
  return wire::SagaCancel(to_wire(s.saga_id.value()), to_wire(s.credit_account_id.value()),
                          s.source_partition.value, 0);
}
wire::SagaTimeout to_wire(const SagaTimeout& s) {
  return wire::SagaTimeout(to_wire(s.saga_id.value()), to_wire(s.debit_account_id.value()));
}

CreateAccount from_wire(const wire::Account& a) {
  return CreateAccount{AccountId(from_wire(a.id())), from_wire(a.user_data_128()), a.user_data_64(),
                       a.user_data_32(), a.ledger(), a.code(), a.flags(), a.reserved()};
}
CreateTransfer from_wire(const wire::Transfer& t) { return CreateTransfer{transfer_from_wire(t)}; }
ExpirePending from_wire(const wire::ExpirePending& e) {
  return ExpirePending{TransferId(from_wire(e.pending_id())), AccountId(from_wire(e.debit_account_id()))};
}
SagaCredit from_wire(const wire::SagaCredit& s) {
  return SagaCredit{TransferId(from_wire(s.saga_id())),
                    AccountId(from_wire(s.debit_account_id())),
                    AccountId(from_wire(s.credit_account_id())),
                    Amount(from_wire(s.amount())),
                    from_wire(s.user_data_128()),
                    s.user_data_64(),
                    s.user_data_32(),
                    s.ledger(),
                    Partition{s.source_partition()},
                    s.code()};
}
SagaReply from_wire(const wire::SagaReply& s) {
  return SagaReply{TransferId(from_wire(s.saga_id())), AccountId(from_wire(s.debit_account_id())),
                   Partition{s.from_partition()}, s.result()};
}
SagaCancel from_wire(const wire::SagaCancel& s) {
  return SagaCancel{TransferId(from_wire(s.saga_id())), AccountId(from_wire(s.credit_account_id())),
                    Partition{s.source_partition()}};
}
SagaTimeout from_wire(const wire::SagaTimeout& s) {
  return SagaTimeout{TransferId(from_wire(s.saga_id())), AccountId(from_wire(s.debit_account_id()))};
}

// Variant index -> wire kind; the order of tally::Command's alternatives.
constexpr std::array<Kind, 7> kKindOfIndex = {Kind::CreateAccount, Kind::CreateTransfer,
                                              Kind::ExpirePending, Kind::SagaCredit,
                                              Kind::SagaReply, Kind::SagaCancel,
                                              Kind::SagaTimeout};
static_assert(std::variant_size_v<Command> == kKindOfIndex.size());

}  // namespace

struct BatchBuilder::Parts {
  std::vector<uint8_t> kinds;
  std::vector<wire::Account> accounts;
  std::vector<wire::Transfer> transfers;
  std::vector<wire::ExpirePending> expiries;
  std::vector<wire::SagaCredit> credits;
  std::vector<wire::SagaReply> replies;
  std::vector<wire::SagaCancel> cancels;
  std::vector<wire::SagaTimeout> timeouts;
  flatbuffers::FlatBufferBuilder fbb{1024};

  void push(const CreateAccount& c) { accounts.push_back(to_wire(c)); }
  void push(const CreateTransfer& c) { transfers.push_back(to_wire(c)); }
  void push(const ExpirePending& c) { expiries.push_back(to_wire(c)); }
  void push(const SagaCredit& c) { credits.push_back(to_wire(c)); }
  void push(const SagaReply& c) { replies.push_back(to_wire(c)); }
  void push(const SagaCancel& c) { cancels.push_back(to_wire(c)); }
  void push(const SagaTimeout& c) { timeouts.push_back(to_wire(c)); }

  template <class T>
  flatbuffers::Offset<flatbuffers::Vector<const T*>> structs(const std::vector<T>& v) {
    if (v.empty()) return 0;  // absent vector: zero elements
    return fbb.CreateVectorOfStructs(v);
  }

  void clear() {
    kinds.clear();
    accounts.clear();
    transfers.clear();
    expiries.clear();
    credits.clear();
    replies.clear();
    cancels.clear();
    timeouts.clear();
  }
};

BatchBuilder::BatchBuilder() : parts_(new Parts) {}
BatchBuilder::~BatchBuilder() { delete parts_; }

void BatchBuilder::add(const Command& command) {
  parts_->kinds.push_back(static_cast<uint8_t>(kKindOfIndex[command.index()]));
  std::visit([this](const auto& c) { parts_->push(c); }, command);
}

void BatchBuilder::add(const CreateTransfer& transfer) {
  parts_->kinds.push_back(static_cast<uint8_t>(Kind::CreateTransfer));
  parts_->push(transfer);
}

size_t BatchBuilder::size() const { return parts_->kinds.size(); }

std::vector<uint8_t> BatchBuilder::finish() {
  assert(size() <= kMaxBatchCommands);
  Parts& p = *parts_;
  p.fbb.Clear();
  // Children first: FlatBuffers builds back to front.
  auto kinds = p.fbb.CreateVector(reinterpret_cast<const Kind*>(p.kinds.data()), p.kinds.size());
  auto accounts = p.structs(p.accounts);
  auto transfers = p.structs(p.transfers);
  auto expiries = p.structs(p.expiries);
  auto credits = p.structs(p.credits);
  auto replies = p.structs(p.replies);
  auto cancels = p.structs(p.cancels);
  auto timeouts = p.structs(p.timeouts);
  auto batch = wire::CreateBatch(p.fbb, kinds, accounts, transfers, expiries, credits, replies,
                                 cancels, timeouts);
  wire::FinishBatchBuffer(p.fbb, batch);
  std::vector<uint8_t> out(p.fbb.GetBufferPointer(), p.fbb.GetBufferPointer() + p.fbb.GetSize());
  p.clear();
  return out;
}

std::vector<uint8_t> encode_batch(std::span<const Command> commands) {
  BatchBuilder builder;
  for (const Command& c : commands) builder.add(c);
  return builder.finish();
}

namespace {

template <class T>
size_t length(const flatbuffers::Vector<const T*>* v) {
  return v == nullptr ? 0 : v->size();
}

template <class W>
Status take(const flatbuffers::Vector<const W*>* v, size_t& next, const char* name,
            std::vector<Command>& out) {
  if (next >= length(v)) {
    return Status::Corruption(std::string("kinds names more ") + name + " than the " + name +
                              " vector holds (" + std::to_string(length(v)) + ")");
  }
  out.emplace_back(from_wire(*v->Get(static_cast<flatbuffers::uoffset_t>(next++))));
  return Status::Ok();
}

}  // namespace

Result<std::vector<Command>> decode_batch(std::span<const uint8_t> record) {
  std::vector<Command> out;
  TALLY_RETURN_IF_ERROR(decode_batch_into(record, out));
  return out;
}

Status decode_batch_into(std::span<const uint8_t> record, std::vector<Command>& out) {
  out.clear();
  if (record.size() > kMaxRecordBytes) {
    return Status::Corruption("record is " + std::to_string(record.size()) +
                              " bytes, over the limit of " + std::to_string(kMaxRecordBytes));
  }
  if (record.size() < 8) {
    return Status::Corruption("record is " + std::to_string(record.size()) +
                              " bytes, too short to be a Batch");
  }
  if (!wire::BatchBufferHasIdentifier(record.data())) {
    return Status::Corruption("record lacks the file identifier \"TLY1\" of a Tally Batch");
  }
  flatbuffers::Verifier verifier(record.data(), record.size());
  if (!wire::VerifyBatchBuffer(verifier)) {
    return Status::Corruption("record fails the FlatBuffers verifier for tally.wire.Batch");
  }
  const wire::Batch* batch = wire::GetBatch(record.data());
  const auto* kinds = batch->kinds();
  const size_t count = kinds == nullptr ? 0 : kinds->size();
  if (count > kMaxBatchCommands) {
    return Status::Corruption("batch holds " + std::to_string(count) +
                              " commands, over the limit of " + std::to_string(kMaxBatchCommands));
  }
  const size_t listed = length(batch->accounts()) + length(batch->transfers()) +
                        length(batch->expiries()) + length(batch->saga_credits()) +
                        length(batch->saga_replies()) + length(batch->saga_cancels()) +
                        length(batch->saga_timeouts());
  if (listed != count) {
    return Status::Corruption("batch vectors hold " + std::to_string(listed) +
                              " commands but kinds lists " + std::to_string(count));
  }
  out.reserve(count);
  size_t na = 0, nt = 0, ne = 0, nc = 0, nr = 0, nx = 0, no = 0;
  for (size_t i = 0; i < count; i++) {
    const Kind kind = kinds->Get(static_cast<flatbuffers::uoffset_t>(i));
    Status s;
    switch (kind) {
      case Kind::CreateAccount: s = take(batch->accounts(), na, "accounts", out); break;
      case Kind::CreateTransfer: s = take(batch->transfers(), nt, "transfers", out); break;
      case Kind::ExpirePending: s = take(batch->expiries(), ne, "expiries", out); break;
      case Kind::SagaCredit: s = take(batch->saga_credits(), nc, "saga_credits", out); break;
      case Kind::SagaReply: s = take(batch->saga_replies(), nr, "saga_replies", out); break;
      case Kind::SagaCancel: s = take(batch->saga_cancels(), nx, "saga_cancels", out); break;
      case Kind::SagaTimeout: s = take(batch->saga_timeouts(), no, "saga_timeouts", out); break;
      default:
        return Status::Corruption("unknown command kind " + std::to_string(static_cast<int>(kind)) +
                                  " at index " + std::to_string(i));
    }
    if (!s.ok()) {
      out.clear();
      return s.with_context("command " + std::to_string(i));
    }
  }
  return Status::Ok();
}

}  // namespace tally
