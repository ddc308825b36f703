#include "projections/records.h"

#include <bit>
#include <cassert>
#include <cstring>

#include "engine/core/bytes.h"
#include "engine/core/codec.h"

namespace tally {
namespace {

constexpr uint8_t kVersion = 1;

// Little-endian field writer.
class Out {
 public:
  Out() : s_(own_) { s_.push_back(static_cast<char>(kVersion)); }
  // Writes into `buffer` (cleared first), reusing its capacity.
  explicit Out(std::string& buffer, uint8_t version = kVersion) : s_(buffer) {
    s_.clear();
    s_.push_back(static_cast<char>(version));
  }
  Out& u8(uint8_t v) { s_.push_back(static_cast<char>(v)); return *this; }
  Out& u16(uint16_t v) { return le(v, 2); }
  Out& u32(uint32_t v) { return le(v, 4); }
  Out& u64(uint64_t v) { return le(v, 8); }
  Out& u128v(u128 v) { le(u128_lo(v), 8); return le(u128_hi(v), 8); }
  Out& bytes(std::string_view b) { u32(static_cast<uint32_t>(b.size())); s_.append(b); return *this; }
  std::string take() { return std::move(s_); }
  void done() {}

 private:
  Out& le(uint64_t v, int n) {
    // The stored format is little-endian; so is every machine Tally builds on.
    static_assert(std::endian::native == std::endian::little);
    s_.append(reinterpret_cast<const char*>(&v), static_cast<size_t>(n));
    return *this;
  }
  std::string own_;
  std::string& s_;
};

// Little-endian field reader; remembers the first overrun.
class In {
 public:
  In(std::string_view b, const char* what) : b_(b), what_(what) {
    if (b_.empty() || static_cast<uint8_t>(b_[0]) != kVersion) bad_ = true;
    pos_ = 1;
  }
  // The version byte, for records with more than one layout; the caller
  // checks it (0 when empty).
  struct AnyVersion {};
  In(std::string_view b, const char* what, AnyVersion) : b_(b), what_(what) {
    if (b_.empty()) bad_ = true;
    pos_ = 1;
  }
  uint8_t version() const { return b_.empty() ? 0 : static_cast<uint8_t>(b_[0]); }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  u128 u128v() {
    const uint64_t lo = le(8);
    return make_u128(le(8), lo);
  }
  std::string bytes() {
    const uint32_t n = u32();
    if (bad_ || pos_ + n > b_.size()) {
      bad_ = true;
      return {};
    }
    std::string out(b_.substr(pos_, n));
    pos_ += n;
    return out;
  }
  Outcome outcome() {
    const uint16_t v = u16();
    if (!outcome_known(v)) bad_ = true;
    return static_cast<Outcome>(v);
  }
  // ok when every byte was read exactly and no field was out of range.
  Status finish() const {
    if (bad_ || pos_ != b_.size()) {
      return Status::Corruption(std::string("stored ") + what_ + " record of " +
                                std::to_string(b_.size()) + " bytes does not decode");
    }
    return Status::Ok();
  }
  void mark_bad() { bad_ = true; }

 private:
  uint64_t le(int n) {
    if (pos_ + static_cast<size_t>(n) > b_.size()) {
      bad_ = true;
      return 0;
    }
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | static_cast<uint8_t>(b_[pos_ + static_cast<size_t>(i)]);
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::string_view b_;
  const char* what_;
  size_t pos_ = 0;
  bool bad_ = false;
};

template <class T>
Result<T> done(In& in, T value) {
  TALLY_RETURN_IF_ERROR(in.finish());
  return value;
}

std::string key16(char tag, u128 id) {
  std::string k(1, tag);
  append_be128(k, id);
  return k;
}
std::string key8(char tag, uint64_t v) {
  std::string k(1, tag);
  append_be64(k, v);
  return k;
}

void put_balances(Out& o, const Balances& b) {
  o.u128v(b.debits_pending).u128v(b.debits_posted).u128v(b.credits_pending).u128v(b.credits_posted);
}
Balances get_balances(In& in) {
  Balances b;
  b.debits_pending = in.u128v();
  b.debits_posted = in.u128v();
  b.credits_pending = in.u128v();
  b.credits_posted = in.u128v();
  return b;
}

}  // namespace

namespace keys {
KeyBuf tagged(char tag, u128 id) {
  KeyBuf k;
  k.data[0] = tag;
  put_be128(k.data + 1, id);
  k.size = 17;
  return k;
}
KeyBuf history_key(AccountId account, Timestamp ts) {
  KeyBuf k = tagged('H', account.value());
  put_be64(k.data + 17, ts.ns);
  k.size = 25;
  return k;
}
std::string account(AccountId id) { return key16('A', id.value()); }
std::string transfer(TransferId id) { return key16('T', id.value()); }
std::string pending(TransferId id) { return key16('P', id.value()); }
std::string history_prefix(AccountId account) { return key16('H', account.value()); }
std::string history(AccountId account, Timestamp ts) {
  std::string k = history_prefix(account);
  append_be64(k, ts.ns);
  return k;
}
std::string outcomes(Offset offset) { return key8('O', offset.value); }
std::string saga(TransferId id) { return key16('S', id.value()); }
std::string leg(Partition source, TransferId id) {
  std::string k(1, 'L');
  append_be32(k, source.value);
  append_be128(k, id.value());
  return k;
}
std::string timer(const Timer& t) {
  std::string k = key8('W', t.deadline.ns);
  k.push_back(static_cast<char>(t.kind));
  append_be128(k, t.id);
  assert(k.size() == kTimerKeySize);
  return k;
}
std::string outbox(uint64_t seq) { return key8('Q', seq); }
std::string quarantine(Offset offset) { return key8('E', offset.value); }
}  // namespace keys

std::string encode(const PartitionMeta& v) {
  return Out()
      .u32(v.partition.value)
      .u32(v.partition_count)
      .u64(v.next_offset.value)
      .u64(v.digest)
      .u64(v.last_timestamp.ns)
      .u64(v.next_outbox_seq)
      .u64(v.commands_applied)
      .u64(v.records_quarantined)
      .take();
}
Result<PartitionMeta> decode_meta(std::string_view b) {
  In in(b, "partition meta");
  PartitionMeta v;
  v.partition = Partition{in.u32()};
  v.partition_count = in.u32();
  v.next_offset = Offset{in.u64()};
  v.digest = in.u64();
  v.last_timestamp = Timestamp{in.u64()};
  v.next_outbox_seq = in.u64();
  v.commands_applied = in.u64();
  v.records_quarantined = in.u64();
  return done(in, v);
}

std::string encode(const Account& v) {
  std::string out;
  encode_to(out, v);
  return out;
}
void encode_to(std::string& buffer, const Account& v) {
  Out o(buffer);
  o.u128v(v.id.value());
  put_balances(o, v.balances);
  return o.u128v(v.user_data_128)
      .u64(v.user_data_64)
      .u32(v.user_data_32)
      .u32(v.ledger)
      .u16(v.code)
      .u16(v.flags)
      .u64(v.timestamp.ns)
      .u16(static_cast<uint16_t>(v.outcome))
      .done();
}
Result<Account> decode_account(std::string_view b) {
  In in(b, "account");
  Account v;
  v.id = AccountId(in.u128v());
  v.balances = get_balances(in);
  v.user_data_128 = in.u128v();
  v.user_data_64 = in.u64();
  v.user_data_32 = in.u32();
  v.ledger = in.u32();
  v.code = in.u16();
  v.flags = in.u16();
  v.timestamp = Timestamp{in.u64()};
  v.outcome = in.outcome();
  return done(in, v);
}

std::string encode(const Transfer& v) {
  std::string out;
  encode_to(out, v);
  return out;
}
// Transfers are written in version 2: the fields every transfer has, then
// a mask naming the fields that are stored because they are nonzero
// (pending id, user data, timeout, expiry) or differ from the effective
// field they default to (requested amount, credit account, ledger, code);
// the rest are left out. A plain transfer takes 87 bytes instead of
// version 1's 179, which the memtable, flushes and compactions all carry.
// Version 1 records are still read.
namespace {
constexpr uint8_t kTransferV2 = 2;
enum TransferField : uint16_t {
  kPendingId = 1 << 0,
  kUserData128 = 1 << 1,
  kUserData64 = 1 << 2,
  kUserData32 = 1 << 3,
  kTimeout = 1 << 4,
  kRequestedAmount = 1 << 5,
  kRequestedCredit = 1 << 6,
  kRequestedLedger = 1 << 7,
  kRequestedCode = 1 << 8,
  kExpiresAt = 1 << 9,
  kTransferFieldsKnown = (1 << 10) - 1,
};
}  // namespace

void encode_to(std::string& buffer, const Transfer& v) {
  uint16_t mask = 0;
  if (!v.pending_id.is_zero()) mask |= kPendingId;
  if (v.user_data_128 != 0) mask |= kUserData128;
  if (v.user_data_64 != 0) mask |= kUserData64;
  if (v.user_data_32 != 0) mask |= kUserData32;
  if (v.timeout_seconds != 0) mask |= kTimeout;
  if (v.requested_amount != v.amount) mask |= kRequestedAmount;
  if (v.requested_credit_account_id != v.credit_account_id) mask |= kRequestedCredit;
  if (v.requested_ledger != v.ledger) mask |= kRequestedLedger;
  if (v.requested_code != v.code) mask |= kRequestedCode;
  if (v.expires_at.ns != 0) mask |= kExpiresAt;
  Out o(buffer, kTransferV2);
  o.u128v(v.id.value())
      .u128v(v.debit_account_id.value())
      .u128v(v.credit_account_id.value())
      .u128v(v.amount.value())
      .u32(v.ledger)
      .u16(v.code)
      .u16(v.flags)
      .u64(v.timestamp.ns)
      .u16(static_cast<uint16_t>(v.outcome))
      .u8(static_cast<uint8_t>(v.state))
      .u8(static_cast<uint8_t>(v.kind))
      .u16(mask);
  if (mask & kPendingId) o.u128v(v.pending_id.value());
  if (mask & kUserData128) o.u128v(v.user_data_128);
  if (mask & kUserData64) o.u64(v.user_data_64);
  if (mask & kUserData32) o.u32(v.user_data_32);
  if (mask & kTimeout) o.u32(v.timeout_seconds);
  if (mask & kRequestedAmount) o.u128v(v.requested_amount.value());
  if (mask & kRequestedCredit) o.u128v(v.requested_credit_account_id.value());
  if (mask & kRequestedLedger) o.u32(v.requested_ledger);
  if (mask & kRequestedCode) o.u16(v.requested_code);
  if (mask & kExpiresAt) o.u64(v.expires_at.ns);
}

namespace {
void check_transfer_enums(In& in, Transfer& v, uint8_t state, uint8_t kind) {
  if (state > static_cast<uint8_t>(PendingState::expired)) in.mark_bad();
  v.state = static_cast<PendingState>(state);
  if (kind > static_cast<uint8_t>(TransferKind::saga_credit)) in.mark_bad();
  v.kind = static_cast<TransferKind>(kind);
}

Result<Transfer> decode_transfer_v2(In& in) {
  Transfer v;
  v.id = TransferId(in.u128v());
  v.debit_account_id = AccountId(in.u128v());
  v.credit_account_id = AccountId(in.u128v());
  v.amount = Amount(in.u128v());
  v.ledger = in.u32();
  v.code = in.u16();
  v.flags = in.u16();
  v.timestamp = Timestamp{in.u64()};
  v.outcome = in.outcome();
  const uint8_t state = in.u8();
  const uint8_t kind = in.u8();
  check_transfer_enums(in, v, state, kind);
  const uint16_t mask = in.u16();
  if ((mask & ~kTransferFieldsKnown) != 0) in.mark_bad();
  if (mask & kPendingId) v.pending_id = TransferId(in.u128v());
  if (mask & kUserData128) v.user_data_128 = in.u128v();
  if (mask & kUserData64) v.user_data_64 = in.u64();
  if (mask & kUserData32) v.user_data_32 = in.u32();
  if (mask & kTimeout) v.timeout_seconds = in.u32();
  v.requested_amount = (mask & kRequestedAmount) ? Amount(in.u128v()) : v.amount;
  v.requested_credit_account_id =
      (mask & kRequestedCredit) ? AccountId(in.u128v()) : v.credit_account_id;
  v.requested_ledger = (mask & kRequestedLedger) ? in.u32() : v.ledger;
  v.requested_code = (mask & kRequestedCode) ? in.u16() : v.code;
  if (mask & kExpiresAt) v.expires_at = Timestamp{in.u64()};
  return done(in, v);
}
}  // namespace

Result<Transfer> decode_transfer(std::string_view b) {
  In in(b, "transfer", In::AnyVersion{});
  if (in.version() == kTransferV2) return decode_transfer_v2(in);
  if (in.version() != kVersion) in.mark_bad();
  Transfer v;
  v.id = TransferId(in.u128v());
  v.debit_account_id = AccountId(in.u128v());
  v.credit_account_id = AccountId(in.u128v());
  v.amount = Amount(in.u128v());
  v.pending_id = TransferId(in.u128v());
  v.user_data_128 = in.u128v();
  v.user_data_64 = in.u64();
  v.user_data_32 = in.u32();
  v.timeout_seconds = in.u32();
  v.ledger = in.u32();
  v.code = in.u16();
  v.flags = in.u16();
  v.timestamp = Timestamp{in.u64()};
  v.outcome = in.outcome();
  v.requested_amount = Amount(in.u128v());
  v.requested_credit_account_id = AccountId(in.u128v());
  v.requested_ledger = in.u32();
  v.requested_code = in.u16();
  const uint8_t state = in.u8();
  v.expires_at = Timestamp{in.u64()};
  const uint8_t kind = in.u8();
  check_transfer_enums(in, v, state, kind);
  return done(in, v);
}

std::string encode(const OffsetOutcomes& v) {
  Out o;
  o.u64(v.first_timestamp.ns).u32(static_cast<uint32_t>(v.outcomes.size()));
  for (Outcome x : v.outcomes) o.u16(static_cast<uint16_t>(x));
  return o.take();
}
Result<OffsetOutcomes> decode_outcomes(std::string_view b) {
  In in(b, "outcomes");
  OffsetOutcomes v;
  v.first_timestamp = Timestamp{in.u64()};
  const uint32_t n = in.u32();
  if (n > kMaxBatchCommands) in.mark_bad();
  for (uint32_t i = 0; i < n && i <= kMaxBatchCommands; i++) v.outcomes.push_back(in.outcome());
  return done(in, v);
}

std::string encode(const HistoryBlock& v) {
  std::string out;
  encode_to(out, v);
  return out;
}
void encode_to(std::string& buffer, const HistoryBlock& v) {
  Out o(buffer);
  o.u32(static_cast<uint32_t>(v.entries.size()));
  for (const HistoryBlock::Entry& e : v.entries) {
    o.u64(e.timestamp.ns).u128v(e.transfer.value()).u8(e.has_balances ? 1 : 0);
    if (e.has_balances) put_balances(o, e.balances);
  }
}
Result<HistoryBlock> decode_history(std::string_view b) {
  In in(b, "history");
  HistoryBlock v;
  const uint32_t n = in.u32();
  if (n == 0 || n > kHistoryBlockEntries) in.mark_bad();
  for (uint32_t i = 0; i < n && i < kHistoryBlockEntries; i++) {
    HistoryBlock::Entry e;
    e.timestamp = Timestamp{in.u64()};
    e.transfer = TransferId(in.u128v());
    const uint8_t has = in.u8();
    if (has > 1) in.mark_bad();
    e.has_balances = has == 1;
    if (e.has_balances) e.balances = get_balances(in);
    if (!v.entries.empty() && e.timestamp <= v.entries.back().timestamp) in.mark_bad();
    v.entries.push_back(e);
  }
  return done(in, v);
}

std::string encode(const Saga& v) {
  return Out()
      .u128v(v.id.value())
      .u32(v.source.value)
      .u32(v.destination.value)
      .u8(static_cast<uint8_t>(v.state))
      .u64(v.started.ns)
      .u64(v.settled.ns)
      .u16(static_cast<uint16_t>(v.result))
      .u32(v.attempts)
      .u8(v.cancel_sent ? 1 : 0)
      .u64(v.deadline.ns)
      .take();
}
Result<Saga> decode_saga(std::string_view b) {
  In in(b, "saga");
  Saga v;
  v.id = TransferId(in.u128v());
  v.source = Partition{in.u32()};
  v.destination = Partition{in.u32()};
  const uint8_t state = in.u8();
  if (state < 1 || state > 3) in.mark_bad();
  v.state = static_cast<SagaState>(state);
  v.started = Timestamp{in.u64()};
  v.settled = Timestamp{in.u64()};
  v.result = in.outcome();
  v.attempts = in.u32();
  v.cancel_sent = in.u8() != 0;
  v.deadline = Timestamp{in.u64()};
  return done(in, v);
}

std::string encode(const SagaLeg& v) {
  return Out()
      .u128v(v.saga_id.value())
      .u32(v.source.value)
      .u8(static_cast<uint8_t>(v.decision))
      .u16(static_cast<uint16_t>(v.result))
      .u64(v.timestamp.ns)
      .take();
}
Result<SagaLeg> decode_leg(std::string_view b) {
  In in(b, "saga leg");
  SagaLeg v;
  v.saga_id = TransferId(in.u128v());
  v.source = Partition{in.u32()};
  const uint8_t d = in.u8();
  if (d < 1 || d > 3) in.mark_bad();
  v.decision = static_cast<LegDecision>(d);
  v.result = in.outcome();
  v.timestamp = Timestamp{in.u64()};
  return done(in, v);
}

std::string encode(const OutboxEntry& v) {
  const std::vector<uint8_t> batch = encode_batch(std::span(&v.command, 1));
  return Out()
      .u64(v.seq)
      .u32(v.target.value)
      .bytes(std::string_view(reinterpret_cast<const char*>(batch.data()), batch.size()))
      .take();
}
Result<OutboxEntry> decode_outbox(std::string_view b) {
  In in(b, "outbox");
  OutboxEntry v;
  v.seq = in.u64();
  v.target = Partition{in.u32()};
  const std::string batch = in.bytes();
  TALLY_RETURN_IF_ERROR(in.finish());
  auto commands = decode_batch(std::span(reinterpret_cast<const uint8_t*>(batch.data()), batch.size()));
  if (!commands.ok()) return commands.status().with_context("stored outbox entry");
  if (commands->size() != 1) return Status::Corruption("stored outbox entry holds " + std::to_string(commands->size()) + " commands, not 1");
  v.command = (*commands)[0];
  return v;
}

namespace {
constexpr uint8_t kOutboxEntriesVersion = 2;
}  // namespace

// Version 2: count (u32), then each entry's seq (u64) and target (u32),
// then the commands in one codec batch (one encode for the commit's legs).
void encode_outbox_entries_to(std::string& buffer, std::span<const OutboxEntry> entries) {
  assert(!entries.empty() && entries.size() <= kOutboxEntriesPerKey);
  std::vector<Command> commands;
  commands.reserve(entries.size());
  Out out(buffer, kOutboxEntriesVersion);
  out.u32(static_cast<uint32_t>(entries.size()));
  for (size_t i = 0; i < entries.size(); i++) {
    assert(i == 0 || entries[i - 1].seq < entries[i].seq);
    out.u64(entries[i].seq).u32(entries[i].target.value);
    commands.push_back(entries[i].command);
  }
  const std::vector<uint8_t> batch = encode_batch(commands);
  out.bytes(std::string_view(reinterpret_cast<const char*>(batch.data()), batch.size()));
}

Result<std::vector<OutboxEntry>> decode_outbox_entries(std::string_view b) {
  In in(b, "outbox", In::AnyVersion{});
  if (in.version() == kVersion) {
    TALLY_ASSIGN_OR_RETURN(OutboxEntry e, decode_outbox(b));
    return std::vector<OutboxEntry>{std::move(e)};
  }
  if (in.version() != kOutboxEntriesVersion) {
    return Status::Corruption("stored outbox record has version " + std::to_string(in.version()) +
                              "; expected 1 or 2");
  }
  const uint32_t n = in.u32();
  if (n == 0 || n > kOutboxEntriesPerKey || n > b.size() / 12) {
    return Status::Corruption("stored outbox record holds " + std::to_string(n) + " entries; expected 1 to " +
                              std::to_string(kOutboxEntriesPerKey));
  }
  std::vector<OutboxEntry> out(n);
  for (OutboxEntry& e : out) {
    e.seq = in.u64();
    e.target = Partition{in.u32()};
  }
  const std::string batch = in.bytes();
  TALLY_RETURN_IF_ERROR(in.finish());
  for (size_t i = 1; i < out.size(); i++) {
    if (out[i - 1].seq >= out[i].seq) return Status::Corruption("stored outbox record's seqs do not ascend");
  }
  auto commands = decode_batch(std::span(reinterpret_cast<const uint8_t*>(batch.data()), batch.size()));
  if (!commands.ok()) return commands.status().with_context("stored outbox record");
  if (commands->size() != n) {
    return Status::Corruption("stored outbox record holds " + std::to_string(commands->size()) +
                              " commands for " + std::to_string(n) + " entries");
  }
  for (uint32_t i = 0; i < n; i++) out[i].command = std::move((*commands)[i]);
  return out;
}

std::string encode(const QuarantinedRecord& v) {
  return Out().u64(v.offset.value).bytes(v.reason).bytes(v.bytes).take();
}
Result<QuarantinedRecord> decode_quarantine(std::string_view b) {
  In in(b, "quarantine");
  QuarantinedRecord v;
  v.offset = Offset{in.u64()};
  v.reason = in.bytes();
  v.bytes = in.bytes();
  return done(in, v);
}

Result<Timer> decode_timer(std::string_view key, std::string_view value) {
  if (key.size() != 1 + 8 + 1 + 16 || key[0] != 'W' || value.size() != 16) {
    return Status::Corruption("stored timer has a malformed key or value");
  }
  Timer t;
  t.deadline = Timestamp{get_be64(key.data() + 1)};
  const uint8_t kind = static_cast<uint8_t>(key[9]);
  if (kind < 1 || kind > 2) return Status::Corruption("stored timer has unknown kind " + std::to_string(kind));
  t.kind = static_cast<TimerKind>(kind);
  t.id = get_be128(key.data() + 10);
  t.routing = AccountId(get_be128(value.data()));
  return t;
}

}  // namespace tally
