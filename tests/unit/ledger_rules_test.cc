// The ledger's rules for accounts, transfers and idempotency as tables
// (ledger_table.h says what each row checks).
#include <doctest/doctest.h>

#include "tests/fixtures/ledger_table.h"

using namespace ledger_test;

namespace ledger_test {

std::vector<Row> account_rows() {
  return {
      {"account created", {}, {A1()}, "created", "1:0+0/0+0"},
      {"with limit and history flags", {}, {A1().flags(kDebitLimit | account_flags::history)},
       "created", "1:0+0/0+0"},
      {"created closed", {}, {A1().flags(account_flags::closed)}, "created", "1:0+0/0+0 closed"},
      {"id 0", {}, {Acct(0)}, "id_must_not_be_zero", ""},
      {"id 2^128-1", {}, {Acct(kU128Max)}, "id_must_not_be_int_max", ""},
      {"id in the reserved range", {}, {Acct(kTransit)}, "id_in_reserved_range", ""},
      {"id of another partition", {}, {Acct(kForeign)}, "wrong_partition", "", 2},
      {"reserved field", {}, {A1().reserved(7)}, "reserved_field", "1:reserved_field"},
      {"reserved flag", {}, {A1().flags(1u << 4)}, "reserved_flag", "1:reserved_flag"},
      {"both limits", {}, {A1().flags(kDebitLimit | kCreditLimit)}, "flags_are_mutually_exclusive",
       "1:flags_are_mutually_exclusive"},
      {"ledger 0", {}, {A1().ledger(0)}, "ledger_must_not_be_zero", "1:ledger_must_not_be_zero"},
      {"code 0", {}, {A1().code(0)}, "code_must_not_be_zero", "1:code_must_not_be_zero"},
      {"ledger before code", {}, {A1().ledger(0).code(0)}, "ledger_must_not_be_zero",
       "1:ledger_must_not_be_zero"},
      {"same again", {{A1().ud128(5)}}, {A1().ud128(5)}, "exists", "1:0+0/0+0"},
      {"other flags", {{A1()}}, {A1().flags(account_flags::history)},
       "exists_with_different_flags", "1:0+0/0+0"},
      {"flags before user data", {{A1()}}, {A1().flags(account_flags::history).ud64(3)},
       "exists_with_different_flags", "1:0+0/0+0"},
      {"other user_data_128", {{A1()}}, {A1().ud128(1)}, "exists_with_different_user_data_128",
       "1:0+0/0+0"},
      {"other user_data_64", {{A1()}}, {A1().ud64(1)}, "exists_with_different_user_data_64",
       "1:0+0/0+0"},
      {"other user_data_32", {{A1()}}, {A1().ud32(1)}, "exists_with_different_user_data_32",
       "1:0+0/0+0"},
      {"other ledger", {{A1()}}, {A1().ledger(2)}, "exists_with_different_ledger", "1:0+0/0+0"},
      {"other code", {{A1()}}, {A1().code(2)}, "exists_with_different_code", "1:0+0/0+0"},
      {"same again after a closing transfer closed it",
       {{A1(), A2(), Xfer(10, 1, 2, 0).pending().flags(transfer_flags::closing_debit)}}, {A1()},
       "exists", "1:0+0/0+0 closed 2:0+0/0+0"},
      {"asked closed, exists open", {{A1()}}, {A1().flags(account_flags::closed)},
       "exists_with_different_flags", "1:0+0/0+0"},
      {"a rejection is final for the id", {{A1().ledger(0)}}, {A1()}, "ledger_must_not_be_zero",
       "1:ledger_must_not_be_zero", 1, 1, 0, "ledger_must_not_be_zero"},
  };
}

TEST_CASE("ledger rules: create_account") { run_rows(account_rows()); }


std::vector<Row> transfer_rows() {
  const Record ab = {A1(), A2()};
  const Record ab3 = {A1(), A2(), Acct(3)};
  const Record limited = {Acct(4).flags(kDebitLimit), A2()};
  const Record funded = {Acct(4).flags(kDebitLimit), A2(), Xfer(9, 2, 4, 10)};
  auto with = [](Record r, const Command& c) {
    r.push_back(c);
    return r;
  };
  return {
      {"single-phase", {ab}, {Xfer(10, 1, 2, 100)}, "created", "1:0+100/0+0 2:0+0/0+100"},
      {"zero amount", {ab}, {Xfer(10, 1, 2, 0)}, "created", kZero12},
      {"id 0", {ab}, {Xfer(0, 1, 2, 1)}, "id_must_not_be_zero", kZero12},
      {"id 2^128-1", {ab}, {Xfer(kU128Max, 1, 2, 1)}, "id_must_not_be_int_max", kZero12},
      {"debit account of another partition", {ab}, {Xfer(10, kForeign, 2, 1)}, "wrong_partition",
       kZero12, 2},
      {"id routed to another partition", {ab}, {Xfer(kForeign, 1, 2, 1)},
       "id_must_route_to_debit_account_partition", kZero12, 2},
      {"a post whose id routes elsewhere", {{A1(), A2(), Xfer(10, 1, 2, 5).pending()}},
       {post(kForeign, 10, 1)}, "id_must_route_to_debit_account_partition",
       "1:5+0/0+0 2:0+0/5+0", 2},
      {"reserved flag", {ab}, {Xfer(10, 1, 2, 1).flags(1u << 8)}, "reserved_flag", kZero12},
      {"debit id 0", {ab}, {Xfer(10, 0, 2, 1)}, "debit_account_id_must_not_be_zero", kZero12},
      {"debit id max", {ab}, {Xfer(10, kU128Max, 2, 1)}, "debit_account_id_must_not_be_int_max",
       kZero12},
      {"credit id 0", {ab}, {Xfer(10, 1, 0, 1)}, "credit_account_id_must_not_be_zero", kZero12},
      {"credit id max", {ab}, {Xfer(10, 1, kU128Max, 1)}, "credit_account_id_must_not_be_int_max",
       kZero12},
      {"same account", {ab}, {Xfer(10, 1, 1, 1)}, "accounts_must_be_different", kZero12},
      {"debit a transit account", {ab}, {Xfer(10, kTransit, 2, 1)}, "transit_account_reserved",
       kZero12},
      {"credit a transit account", {ab}, {Xfer(10, 1, kTransit, 1)}, "transit_account_reserved",
       kZero12},
      {"pending_id on a transfer", {ab}, {Xfer(10, 1, 2, 1).pending_id(5)},
       "pending_id_must_be_zero", kZero12},
      {"timeout on a single-phase transfer", {ab}, {Xfer(10, 1, 2, 1).timeout(5)},
       "timeout_reserved_for_pending_transfer", kZero12},
      {"closing without pending", {ab}, {Xfer(10, 1, 2, 1).flags(transfer_flags::closing_credit)},
       "closing_transfer_must_be_pending", kZero12},
      {"ledger 0", {ab}, {Xfer(10, 1, 2, 1).ledger(0)}, "ledger_must_not_be_zero", kZero12},
      {"code 0", {ab}, {Xfer(10, 1, 2, 1).code(0)}, "code_must_not_be_zero", kZero12},
      {"debit account missing", {{A2()}}, {Xfer(10, 1, 2, 1)}, "debit_account_not_found",
       "2:0+0/0+0"},
      {"credit account missing", {{A1()}}, {Xfer(10, 1, 2, 1)}, "credit_account_not_found",
       "1:0+0/0+0"},
      {"debit account rejected", {{A1().ledger(0), A2()}}, {Xfer(10, 1, 2, 1)},
       "debit_account_not_found", "1:ledger_must_not_be_zero 2:0+0/0+0", 1, 1, 0,
       "ledger_must_not_be_zero created"},
      {"accounts on two ledgers", {{A1(), Acct(3).ledger(2)}}, {Xfer(10, 1, 3, 1)},
       "accounts_must_have_the_same_ledger", "1:0+0/0+0 3:0+0/0+0"},
      {"transfer on another ledger", {ab}, {Xfer(10, 1, 2, 1).ledger(2)},
       "transfer_must_have_the_same_ledger_as_accounts", kZero12},
      {"debit account closed", {{A1().flags(account_flags::closed), A2()}}, {Xfer(10, 1, 2, 1)},
       "debit_account_already_closed", "1:0+0/0+0 closed 2:0+0/0+0"},
      {"credit account closed", {{A1(), A2().flags(account_flags::closed)}}, {Xfer(10, 1, 2, 1)},
       "credit_account_already_closed", "1:0+0/0+0 2:0+0/0+0 closed"},
      {"overflows debits pending", {with(ab3, Xfer(9, 1, 2, kU128Max - 5).pending())},
       {Xfer(10, 1, 3, 10).pending()}, "overflows_debits_pending",
       "1:" + kM5 + "+0/0+0 2:0+0/" + kM5 + "+0 3:0+0/0+0"},
      {"overflows credits pending", {with(ab3, Xfer(9, 1, 2, kU128Max - 5).pending())},
       {Xfer(10, 3, 2, 10).pending()}, "overflows_credits_pending",
       "1:" + kM5 + "+0/0+0 2:0+0/" + kM5 + "+0 3:0+0/0+0"},
      {"overflows debits posted", {with(ab3, Xfer(9, 1, 2, kU128Max - 5))},
       {Xfer(10, 1, 3, 10)}, "overflows_debits_posted",
       "1:0+" + kM5 + "/0+0 2:0+0/0+" + kM5 + " 3:0+0/0+0"},
      {"a pending transfer checks posted debits too", {with(ab3, Xfer(9, 1, 2, kU128Max - 5))},
       {Xfer(10, 1, 3, 10).pending()}, "overflows_debits_posted",
       "1:0+" + kM5 + "/0+0 2:0+0/0+" + kM5 + " 3:0+0/0+0"},
      {"overflows credits posted", {with(ab3, Xfer(9, 1, 2, kU128Max - 5))},
       {Xfer(10, 3, 2, 10)}, "overflows_credits_posted",
       "1:0+" + kM5 + "/0+0 2:0+0/0+" + kM5 + " 3:0+0/0+0"},
      {"overflows debits pending + posted", {with(ab3, Xfer(9, 1, 2, kU128Max - 5).pending())},
       {Xfer(10, 1, 3, 10)}, "overflows_debits",
       "1:" + kM5 + "+0/0+0 2:0+0/" + kM5 + "+0 3:0+0/0+0"},
      {"overflows credits pending + posted", {with(ab3, Xfer(9, 1, 2, kU128Max - 5).pending())},
       {Xfer(10, 3, 2, 10)}, "overflows_credits",
       "1:" + kM5 + "+0/0+0 2:0+0/" + kM5 + "+0 3:0+0/0+0"},
      {"deadline at 2^63 ns", {ab}, {Xfer(10, 1, 2, 1).pending().timeout(5)}, "overflows_timeout",
       kZero12, 1, 1, (uint64_t{1} << 63) - 5 * kSecond},
      {"deadline just below 2^63 ns", {ab}, {Xfer(10, 1, 2, 1).pending().timeout(4)}, "created",
       "1:1+0/0+0 2:0+0/1+0", 1, 1, (uint64_t{1} << 63) - 5 * kSecond},
      {"debits over credits", {limited}, {Xfer(10, 4, 2, 1)}, "exceeds_credits",
       "4:0+0/0+0 2:0+0/0+0"},
      {"debits up to credits", {funded}, {Xfer(10, 4, 2, 10)}, "created",
       "4:0+10/0+10 2:0+10/0+10"},
      {"pending debits count against credits", {with(funded, Xfer(8, 4, 2, 6).pending())},
       {Xfer(10, 4, 2, 5)}, "exceeds_credits", "4:6+0/0+10 2:0+10/6+0"},
      {"pending credits do not count", {with(limited, Xfer(9, 2, 4, 10).pending())},
       {Xfer(10, 4, 2, 1)}, "exceeds_credits", "4:0+0/10+0 2:10+0/0+0"},
      {"a pending transfer is limited too", {limited}, {Xfer(10, 4, 2, 1).pending()},
       "exceeds_credits", "4:0+0/0+0 2:0+0/0+0"},
      {"credits over debits", {{A1(), Acct(5).flags(kCreditLimit)}}, {Xfer(10, 1, 5, 1)},
       "exceeds_debits", "1:0+0/0+0 5:0+0/0+0"},
      {"balancing debit moves what the limit allows", {funded},
       {Xfer(10, 4, 2, 100).flags(transfer_flags::balancing_debit)}, "created",
       "4:0+10/0+10 2:0+10/0+10"},
      {"balancing debit without a limit flag", {with(ab, Xfer(9, 2, 1, 7))},
       {Xfer(10, 1, 2, 100).flags(transfer_flags::balancing_debit)}, "created",
       "1:0+7/0+7 2:0+7/0+7"},
      {"balancing debit with nothing to move", {ab},
       {Xfer(10, 1, 2, 100).flags(transfer_flags::balancing_debit)}, "created", kZero12},
      {"balancing credit", {{A1(), Acct(5).flags(kCreditLimit), Xfer(9, 5, 1, 10)}},
       {Xfer(10, 1, 5, 100).flags(transfer_flags::balancing_credit)}, "created",
       "1:0+10/0+10 5:0+10/0+10"},
      {"balancing both ways takes the smaller room",
       {{A1(), A2(), Acct(3), Xfer(9, 2, 1, 10), Xfer(8, 3, 2, 4)}},
       {Xfer(10, 1, 2, 100).flags(transfer_flags::balancing_debit | transfer_flags::balancing_credit)},
       "created", "1:0+6/0+10 2:0+10/0+10 3:0+4/0+0"},
      {"balancing pending", {funded},
       {Xfer(10, 4, 2, 100).pending().flags(transfer_flags::balancing_debit)}, "created",
       "4:10+0/0+10 2:0+10/10+0"},
      {"pending", {ab}, {Xfer(10, 1, 2, 100).pending().timeout(30)}, "created",
       "1:100+0/0+0 2:0+0/100+0"},
      {"closing debit", {ab}, {Xfer(10, 1, 2, 0).pending().flags(transfer_flags::closing_debit)},
       "created", "1:0+0/0+0 closed 2:0+0/0+0"},
      {"closing credit", {ab}, {Xfer(10, 1, 2, 5).pending().flags(transfer_flags::closing_credit)},
       "created", "1:5+0/0+0 2:0+0/5+0 closed"},
      {"cross-partition pending", {{A1()}}, {Xfer(10, 1, kForeign, 1).pending()},
       "cross_partition_transfer_must_be_single_phase", "1:0+0/0+0", 2},
      {"cross-partition balancing", {{A1()}},
       {Xfer(10, 1, kForeign, 1).flags(transfer_flags::balancing_debit)},
       "cross_partition_transfer_must_be_single_phase", "1:0+0/0+0", 2},
      {"cross-partition without a saga extension", {{A1()}}, {Xfer(10, 1, kForeign, 1)},
       "credit_account_not_found", "1:0+0/0+0", 2},
  };
}

TEST_CASE("ledger rules: create_transfer") { run_rows(transfer_rows()); }

std::vector<Row> exists_rows() {
  const Record e = {A1(), A2(), Acct(3), Xfer(10, 1, 2, 100).ud128(1).ud64(2).ud32(3)};
  const std::string eb = "1:0+100/0+0 2:0+0/0+100 3:0+0/0+0";
  auto same = [] { return Xfer(10, 1, 2, 100).ud128(1).ud64(2).ud32(3); };
  const Record p = {A1(), A2(), Acct(3), Xfer(10, 1, 2, 100).pending().ud64(7)};
  auto then = [](Record r, const Command& c) {
    r.push_back(c);
    return r;
  };
  const std::string posted30 = "1:0+30/0+0 2:0+0/0+30 3:0+0/0+0";
  const std::string posted = "1:0+100/0+0 2:0+0/0+100 3:0+0/0+0";
  const std::string voided = "1:0+0/0+0 2:0+0/0+0 3:0+0/0+0";
  return {
      {"same again", {e}, {same()}, "exists", eb},
      {"other flags", {e}, {same().flags(transfer_flags::balancing_debit)},
       "exists_with_different_flags", eb},
      {"other pending_id", {e}, {same().pending_id(5)}, "exists_with_different_pending_id", eb},
      {"other timeout", {e}, {same().timeout(5)}, "exists_with_different_timeout", eb},
      {"other debit account", {e}, {same().debit(3)}, "exists_with_different_debit_account_id",
       eb},
      {"other credit account", {e}, {same().credit(3)}, "exists_with_different_credit_account_id",
       eb},
      {"other amount", {e}, {same().amount(99)}, "exists_with_different_amount", eb},
      {"amount before code", {e}, {same().amount(99).code(7)}, "exists_with_different_amount", eb},
      {"other user_data_128", {e}, {same().ud128(9)}, "exists_with_different_user_data_128", eb},
      {"other user_data_64", {e}, {same().ud64(9)}, "exists_with_different_user_data_64", eb},
      {"other user_data_32", {e}, {same().ud32(9)}, "exists_with_different_user_data_32", eb},
      {"other ledger", {e}, {same().ledger(2)}, "exists_with_different_ledger", eb},
      {"other code", {e}, {same().code(2)}, "exists_with_different_code", eb},
      {"a rejection is final for the id", {{A2(), Xfer(10, 1, 2, 1), A1()}}, {Xfer(10, 1, 2, 1)},
       "debit_account_not_found", "2:0+0/0+0 1:0+0/0+0", 1, 1, 0,
       "created debit_account_not_found created"},
      {"a rejection is final whatever the fields", {{A2(), Xfer(10, 1, 2, 1), A1()}},
       {Xfer(10, 1, 2, 999).ledger(5)}, "debit_account_not_found", "2:0+0/0+0 1:0+0/0+0", 1, 1,
       0, "created debit_account_not_found created"},
      {"balancing again with the requested amount",
       {{Acct(4).flags(kDebitLimit), A2(), Xfer(9, 2, 4, 10),
         Xfer(10, 4, 2, 100).flags(transfer_flags::balancing_debit)}},
       {Xfer(10, 4, 2, 100).flags(transfer_flags::balancing_debit)}, "exists",
       "4:0+10/0+10 2:0+10/0+10"},
      {"balancing again with the amount moved",
       {{Acct(4).flags(kDebitLimit), A2(), Xfer(9, 2, 4, 10),
         Xfer(10, 4, 2, 100).flags(transfer_flags::balancing_debit)}},
       {Xfer(10, 4, 2, 10).flags(transfer_flags::balancing_debit)},
       "exists_with_different_amount", "4:0+10/0+10 2:0+10/0+10"},
      {"post again with inherited fields spelled out", {then(p, post(11, 10, 1, 30))},
       {post(11, 10, 1, 30).credit(2).ledger(1).code(1).ud64(7)}, "exists", posted30},
      {"post again with another amount", {then(p, post(11, 10, 1, 30))}, {post(11, 10, 1, 40)},
       "exists_with_different_amount", posted30},
      {"full post again with the amount spelled out", {then(p, post(11, 10, 1))},
       {post(11, 10, 1, 100)}, "exists", posted},
      {"post again naming another pending transfer", {then(p, post(11, 10, 1))},
       {post(11, 9, 1)}, "exists_with_different_pending_id", posted},
      {"post again with another credit account", {then(p, post(11, 10, 1))},
       {post(11, 10, 1).credit(3)}, "exists_with_different_credit_account_id", posted},
      {"post again with another debit account", {then(p, post(11, 10, 1))}, {post(11, 10, 3)},
       "exists_with_different_debit_account_id", posted},
      {"post again with other user data", {then(p, post(11, 10, 1))}, {post(11, 10, 1).ud64(8)},
       "exists_with_different_user_data_64", posted},
      {"post again with another ledger", {then(p, post(11, 10, 1))}, {post(11, 10, 1).ledger(4)},
       "exists_with_different_ledger", posted},
      {"void again, amount 2^128-1 for 0", {then(p, void_(11, 10, 1))},
       {void_(11, 10, 1, kU128Max)}, "exists", voided},
      {"void again, the pending amount for 0", {then(p, void_(11, 10, 1))},
       {void_(11, 10, 1, 100)}, "exists", voided},
      {"void again with another amount", {then(p, void_(11, 10, 1))}, {void_(11, 10, 1, 5)},
       "exists_with_different_amount", voided},
      {"void again with another code", {then(p, void_(11, 10, 1))}, {void_(11, 10, 1).code(6)},
       "exists_with_different_code", voided},
  };
}

TEST_CASE("ledger rules: idempotency") { run_rows(exists_rows()); }

}  // namespace ledger_test
