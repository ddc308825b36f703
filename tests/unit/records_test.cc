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
