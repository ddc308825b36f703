// Table-driven ledger tests: each row is a setup (records applied 10 s
// apart), one record, the outcomes it must get and the books after it (see
// ledger_fixture.h for the rendering). run_row also checks, for every row,
// the invariants and, for a row of one command, that exactly the documented
// outcomes are recorded under the command's id and that applying the
// command again answers as idempotency says (created -> exists, a recorded
// rejection -> the same rejection) and changes nothing.
#pragma once

#include <string>
#include <vector>

#include "tests/unit/ledger_fixture.h"

namespace ledger_test {

using Record = std::vector<Command>;

struct Row {
  const char* name;
  std::vector<Record> setup;
  Record record;
  std::string outcomes;  // expected, rendered
  std::string books;     // expected, rendered
  uint32_t partitions = 1;
  uint64_t after_s = 1;             // the record's append time after the last setup record
  uint64_t at_ns = 0;               // if set: the record's append time instead
  std::string setup_outcomes = "";  // if set: what the setup records get; else all ok
};

void run_row(const Row& row);
inline void run_rows(const std::vector<Row>& rows) {
  for (const Row& row : rows) run_row(row);
}

// The tables (ledger_rules_test.cc, ledger_two_phase_test.cc).
std::vector<Row> account_rows();
std::vector<Row> transfer_rows();
std::vector<Row> exists_rows();
std::vector<Row> resolution_rows();
std::vector<Row> expiry_rows();
std::vector<Row> chain_rows();

inline constexpr uint16_t kDebitLimit = account_flags::debits_must_not_exceed_credits;
inline constexpr uint16_t kCreditLimit = account_flags::credits_must_not_exceed_debits;
// An account id of the other partition when a row has two.
inline const u128 kForeign = id_in_partition(partition_of_key(0, 2).value ^ 1u, 2, 1);
inline const u128 kTransit = make_u128(kReservedAccountHi, 1);
inline const std::string kM5 = u128_to_string(kU128Max - 5);
inline const std::string kZero12 = "1:0+0/0+0 2:0+0/0+0";

inline Acct A1() { return Acct(1); }
inline Acct A2() { return Acct(2); }
inline Record with(Record r, const Command& c) {
  r.push_back(c);
  return r;
}

}  // namespace ledger_test
