#include <doctest/doctest.h>

#include "projections/records.h"

using namespace tally;

TEST_CASE("stored records round-trip exactly") {
  Account a;
  a.id = AccountId(make_u128(3, 4));
  a.balances = {1, kU128Max, 3, 4};
  a.user_data_128 = 99;
  a.user_data_64 = 7;
  a.user_data_32 = 8;
  a.ledger = 700;
  a.code = 10;
  a.flags = account_flags::history;
  a.timestamp = Timestamp{123};
  a.outcome = Outcome::ledger_must_not_be_zero;
  CHECK(decode_account(encode(a)).value() == a);

  Transfer t;
  t.id = TransferId(5);
  t.debit_account_id = AccountId(1);
  t.credit_account_id = AccountId(2);
  t.amount = Amount(kU128Max);
  t.requested_amount = Amount(4);
  t.pending_id = TransferId(9);
  t.flags = transfer_flags::pending;
  t.state = PendingState::expired;
  t.kind = TransferKind::saga_source;
  t.expires_at = Timestamp{77};
  t.outcome = Outcome::exceeds_credits;
  CHECK(decode_transfer(encode(t)).value() == t);

  HistoryBlock h;
  h.entries.push_back({Timestamp{3}, TransferId(7), false, {}});
  h.entries.push_back({Timestamp{9}, TransferId(8), true, {1, 2, 3, kU128Max}});
  CHECK(decode_history(encode(h)).value() == h);
  HistoryBlock unordered = h;
  std::swap(unordered.entries[0], unordered.entries[1]);
  CHECK_FALSE(decode_history(encode(unordered)).ok());

  OffsetOutcomes o{Timestamp{5}, {Outcome::created, Outcome::exists, Outcome::saga_completed}};
  CHECK(decode_outcomes(encode(o)).value() == o);

  Saga s{TransferId(1), Partition{2}, Partition{5}, SagaState::compensated, Timestamp{1},
         Timestamp{2}, Outcome::exceeds_debits, 3, true, Timestamp{9}};
  CHECK(decode_saga(encode(s)).value() == s);

  OutboxEntry e{42, Partition{3}, SagaReply{TransferId(1), AccountId(2), Partition{5}, 57}};
  CHECK(decode_outbox(encode(e)).value() == e);
  // One entry per key, as stores written before 2026-12-07 hold them.
  CHECK(decode_outbox_entries(encode(e)).value() == std::vector<OutboxEntry>{e});
  const std::vector<OutboxEntry> commit{e, {43, Partition{1}, SagaCancel{TransferId(7), AccountId(8), Partition{5}}},
                                        {45, Partition{3}, SagaReply{TransferId(9), AccountId(2), Partition{5}, 1}}};
  std::string v2;
  encode_outbox_entries_to(v2, commit);
  CHECK(decode_outbox_entries(v2).value() == commit);
  CHECK_FALSE(decode_outbox(v2).ok());  // not a single entry
  std::string truncated = v2.substr(0, v2.size() - 1);
  CHECK_FALSE(decode_outbox_entries(truncated).ok());
  std::string descending = v2;
  descending[5 + 12] = 50;  // the second entry's seq (low byte) past the third's
  CHECK(decode_outbox_entries(descending).status().to_string().find("do not ascend") != std::string::npos);
  std::string none = v2;
  none[1] = 0;  // count 0
  CHECK(decode_outbox_entries(none).status().to_string().find("entries; expected 1 to") != std::string::npos);

  PartitionMeta m{Partition{1}, 8, Offset{10}, 0xdeadbeef, Timestamp{11}, 12, 13, 14};
  CHECK(decode_meta(encode(m)).value() == m);
}

TEST_CASE("damaged stored records are reported, not misread") {
  Transfer t;
  t.id = TransferId(5);
  std::string bytes = encode(t);
  CHECK_FALSE(decode_transfer(bytes.substr(0, bytes.size() - 1)).ok());
  CHECK_FALSE(decode_transfer(bytes + "x").ok());
  std::string bad_version = bytes;
  bad_version[0] = 9;
  CHECK_FALSE(decode_transfer(bad_version).ok());
  Account a;
  std::string ab = encode(a);
  ab[ab.size() - 2] = static_cast<char>(0xff);  // outcome 0xff.. is unknown
  ab[ab.size() - 1] = static_cast<char>(0xff);
  auto r = decode_account(ab);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("account") != std::string::npos);
}

TEST_CASE("keys sort by id, by account then time, and by deadline") {
  CHECK(keys::transfer(TransferId(1)) < keys::transfer(TransferId(256)));
  CHECK(keys::history(AccountId(1), Timestamp{900}) < keys::history(AccountId(2), Timestamp{1}));
  CHECK(keys::history(AccountId(1), Timestamp{1}) < keys::history(AccountId(1), Timestamp{2}));
  Timer early{Timestamp{10}, TimerKind::saga_deadline, 99, AccountId(1)};
  Timer late{Timestamp{11}, TimerKind::pending_expiry, 1, AccountId(1)};
  CHECK(keys::timer(early) < keys::timer(late));
  std::string value(16, '\0');
  value[15] = 1;
  CHECK(decode_timer(keys::timer(early), value).value() == early);
}

namespace {
// A version-1 transfer record, as stores written before version 2 hold them.
std::string transfer_v1(const Transfer& v) {
  std::string s(1, '\x01');
  auto le = [&s](uint64_t x, int n) {
    for (int i = 0; i < n; i++) s.push_back(static_cast<char>((x >> (8 * i)) & 0xff));
  };
  auto u128le = [&le](u128 x) {
    le(u128_lo(x), 8);
    le(u128_hi(x), 8);
  };
  u128le(v.id.value());
  u128le(v.debit_account_id.value());
  u128le(v.credit_account_id.value());
  u128le(v.amount.value());
  u128le(v.pending_id.value());
  u128le(v.user_data_128);
  le(v.user_data_64, 8);
  le(v.user_data_32, 4);
  le(v.timeout_seconds, 4);
  le(v.ledger, 4);
  le(v.code, 2);
  le(v.flags, 2);
  le(v.timestamp.ns, 8);
  le(static_cast<uint16_t>(v.outcome), 2);
  u128le(v.requested_amount.value());
  u128le(v.requested_credit_account_id.value());
  le(v.requested_ledger, 4);
  le(v.requested_code, 2);
  le(static_cast<uint8_t>(v.state), 1);
  le(v.expires_at.ns, 8);
  le(static_cast<uint8_t>(v.kind), 1);
  return s;
}
}  // namespace

TEST_CASE("transfers: version 2 stores only the fields that need it; version 1 still reads") {
  Transfer plain;
  plain.id = TransferId(make_u128(1, 2));
  plain.debit_account_id = AccountId(make_u128(3, 4));
  plain.credit_account_id = AccountId(make_u128(3, 5));
  plain.amount = Amount(1000);
  plain.requested_amount = plain.amount;
  plain.requested_credit_account_id = plain.credit_account_id;
  plain.ledger = plain.requested_ledger = 7;
  plain.code = plain.requested_code = 3;
  plain.timestamp = Timestamp{123456789};
  const std::string bytes = encode(plain);
  CHECK(bytes.size() == 87);
  CHECK(static_cast<uint8_t>(bytes[0]) == 2);
  CHECK(decode_transfer(bytes).value() == plain);
  CHECK(decode_transfer(transfer_v1(plain)).value() == plain);
  CHECK(transfer_v1(plain).size() == 179);

  Transfer full = plain;  // every optional field set, every requested one different
  full.pending_id = TransferId(11);
  full.user_data_128 = make_u128(12, 13);
  full.user_data_64 = 14;
  full.user_data_32 = 15;
  full.timeout_seconds = 16;
  full.requested_amount = Amount(17);
  full.requested_credit_account_id = AccountId(18);
  full.requested_ledger = 19;
  full.requested_code = 20;
  full.expires_at = Timestamp{21};
  full.state = PendingState::posted;
  full.kind = TransferKind::saga_credit;
  full.outcome = Outcome::exceeds_credits;
  CHECK(decode_transfer(encode(full)).value() == full);
  CHECK(decode_transfer(transfer_v1(full)).value() == full);
  // Zero requested fields differ from nonzero effective ones: stored, not defaulted.
  Transfer zeros = plain;
  zeros.requested_amount = Amount(0);
  zeros.requested_ledger = 0;
  CHECK(decode_transfer(encode(zeros)).value() == zeros);

  // Damage is still found: truncated, trailing bytes, an unknown mask bit.
  std::string b = encode(full);
  CHECK_FALSE(decode_transfer(b.substr(0, b.size() - 1)).ok());
  CHECK_FALSE(decode_transfer(b + "x").ok());
  std::string unknown_field = encode(plain);
  unknown_field[unknown_field.size() - 1] = static_cast<char>(0x80);  // mask bit 15
  CHECK_FALSE(decode_transfer(unknown_field).ok());
}
