#include "tests/unit/ledger_fixture.h"

#include <doctest/doctest.h>

namespace ledger_test {

std::string render(const Account& a) {
  std::string s = a.id.str() + ":";
  if (a.outcome != Outcome::created) return s + std::string(outcome_name(a.outcome));
  const Balances& b = a.balances;
  s += u128_to_string(b.debits_pending) + "+" + u128_to_string(b.debits_posted) + "/" +
       u128_to_string(b.credits_pending) + "+" + u128_to_string(b.credits_posted);
  if ((a.flags & account_flags::closed) != 0) s += " closed";
  return s;
}

std::string render(std::span<const Outcome> outcomes) {
  std::string s;
  for (Outcome o : outcomes) {
    if (!s.empty()) s += " ";
    s += outcome_name(o);
  }
  return s;
}

Books::Books(uint32_t partitions, CommandExtension* extension)
    : state_(partition_of_key(0, partitions), partitions), extension_(extension) {}

void Books::note(const Command& c) {
  auto account = [this](AccountId id) {
    if (!seen_accounts_[id.value()]) {
      seen_accounts_[id.value()] = true;
      account_ids_.push_back(id);
    }
  };
  auto transfer = [this](TransferId id) {
    if (!seen_transfers_[id.value()]) {
      seen_transfers_[id.value()] = true;
      transfer_ids_.push_back(id);
    }
  };
  if (const auto* a = std::get_if<CreateAccount>(&c)) account(a->id);
  if (const auto* t = std::get_if<CreateTransfer>(&c)) {
    transfer(t->id);
    account(t->debit_account_id);
    account(t->credit_account_id);
  }
}

std::vector<Outcome> Books::apply(const std::vector<Command>& record, uint64_t append_ns) {
  clock_ = append_ns != 0 ? append_ns : clock_ + kSecond;
  const Timestamp before = state_.last_timestamp();
  RecordOutcome out;
  apply_record(state_, record, Timestamp{clock_}, extension_, out);
  REQUIRE(out.outcomes.size() == record.size());
  REQUIRE(out.timestamps.size() == record.size());
  Timestamp prev = before;
  for (Timestamp ts : out.timestamps) {
    CHECK(ts > prev);
    prev = ts;
  }
  CHECK_FALSE(state_.in_scope());
  for (const Command& c : record) note(c);
  last_changes_ = state_.changes();
  state_.clear_changes();
  return out.outcomes;
}

std::string Books::run(const std::vector<Command>& record, uint64_t append_ns) {
  return render(apply(record, append_ns));
}

Outcome Books::one(const Command& c, uint64_t append_ns) { return apply({c}, append_ns).at(0); }

std::string Books::account(u128 id) const {
  const Account* a = state_.find_account(AccountId(id));
  return a == nullptr ? "" : render(*a);
}

std::string Books::accounts() const {
  std::string s;
  for (const Account& a : account_list()) {
    if (!s.empty()) s += " ";
    s += render(a);
  }
  return s;
}

std::vector<Account> Books::account_list() const {
  std::vector<Account> out;
  for (AccountId id : account_ids_) {
    if (const Account* a = state_.find_account(id)) out.push_back(*a);
  }
  return out;
}

std::vector<Transfer> Books::transfer_list() const {
  std::vector<Transfer> out;
  for (TransferId id : transfer_ids_) {
    if (const Transfer* t = state_.find_transfer(id)) out.push_back(*t);
  }
  return out;
}

std::string Books::violations() const {
  const std::vector<Account> accounts = account_list();
  const std::vector<Transfer> transfers = transfer_list();
  return render(check_invariants(accounts, transfers));
}

}  // namespace ledger_test
