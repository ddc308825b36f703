#include "projections/invariants.h"

#include <map>

namespace tally {
namespace {

// An unsigned sum of up to 2^64 u128 values, exactly.
struct WideSum {
  u128 lo = 0;
  uint64_t hi = 0;
  void add(u128 v) {
    lo += v;
    if (lo < v) hi++;
  }
  bool operator==(const WideSum&) const = default;
  std::string str() const {
    if (hi == 0) return u128_to_string(lo);
    return std::to_string(hi) + "*2^128+" + u128_to_string(lo);
  }
};

struct LedgerSums {
  WideSum debits_pending, debits_posted, credits_pending, credits_posted;
};

std::string name_of(const Account& a) { return "account " + a.id.str(); }

void check_account(const Account& a, std::vector<Violation>& out) {
  const Balances& b = a.balances;
  if (a.outcome != Outcome::created) {
    if (b != Balances{}) out.push_back({"rejected_has_balances", name_of(a)});
    return;
  }
  const std::optional<u128> debits = checked_add(b.debits_pending, b.debits_posted);
  const std::optional<u128> credits = checked_add(b.credits_pending, b.credits_posted);
  if (!debits || !credits) {
    out.push_back({"balance_overflow", name_of(a) + ": pending + posted exceed 2^128 - 1"});
    return;
  }
  if ((a.flags & account_flags::debits_must_not_exceed_credits) != 0 && *debits > b.credits_posted) {
    out.push_back({"exceeds_credits", name_of(a) + ": debits " + u128_to_string(*debits) +
                                          " > credits posted " + u128_to_string(b.credits_posted)});
  }
  if ((a.flags & account_flags::credits_must_not_exceed_debits) != 0 && *credits > b.debits_posted) {
    out.push_back({"exceeds_debits", name_of(a) + ": credits " + u128_to_string(*credits) +
                                         " > debits posted " + u128_to_string(b.debits_posted)});
  }
}

void check_ledgers(std::span<const Account> accounts, std::vector<Violation>& out) {
  std::map<Ledger, LedgerSums> ledgers;
  for (const Account& a : accounts) {
    if (a.outcome != Outcome::created) continue;
    LedgerSums& s = ledgers[a.ledger];
    s.debits_pending.add(a.balances.debits_pending);
    s.debits_posted.add(a.balances.debits_posted);
    s.credits_pending.add(a.balances.credits_pending);
    s.credits_posted.add(a.balances.credits_posted);
  }
  for (const auto& [ledger, s] : ledgers) {
    const std::string where = "ledger " + std::to_string(ledger);
    if (!(s.debits_posted == s.credits_posted)) {
      out.push_back({"posted_unbalanced", where + ": debits " + s.debits_posted.str() +
                                              " != credits " + s.credits_posted.str()});
    }
    if (!(s.debits_pending == s.credits_pending)) {
      out.push_back({"pending_unbalanced", where + ": debits " + s.debits_pending.str() +
                                               " != credits " + s.credits_pending.str()});
    }
  }
}

// What a created transfer contributes: to pending, to posted, or nothing.
enum class Effect { none, pending, posted };

Effect effect_of(const Transfer& t) {
  if (t.state != PendingState::none) {
    return t.state == PendingState::pending ? Effect::pending : Effect::none;
  }
  if ((t.flags & transfer_flags::void_pending) != 0) return Effect::none;
  return Effect::posted;  // single-phase, or a post
}

// Saturates instead of wrapping; a saturated balance then mismatches.
void add_to(u128& v, u128 amount) { v = checked_add(v, amount).value_or(kU128Max); }

// The balances recomputed for one account, and which sides can be: a saga
// reservation's effect lives in its Saga record (recovery/), not in a
// transfer, so the debits of its debit account and the credits of transit
// accounts are left alone.
struct Recomputed {
  Balances balances;
  bool debits_known = true;
  bool credits_known = true;
};

std::string four(const Balances& b) {
  return u128_to_string(b.debits_pending) + "/" + u128_to_string(b.debits_posted) + " " +
         u128_to_string(b.credits_pending) + "/" + u128_to_string(b.credits_posted);
}

void check_recomputed(std::span<const Account> accounts, std::span<const Transfer> transfers,
                      std::vector<Violation>& out) {
  std::map<AccountId, Recomputed> recomputed;
  for (const Account& a : accounts) recomputed[a.id].credits_known = !in_reserved_range(a.id);
  for (const Transfer& t : transfers) {
    if (t.outcome != Outcome::created) continue;
    const bool is_pending = (t.flags & transfer_flags::pending) != 0;
    if (t.kind == TransferKind::user && is_pending != (t.state != PendingState::none)) {
      out.push_back({"pending_state", "transfer " + t.id.str()});
    }
    auto dr = recomputed.find(t.debit_account_id);
    auto cr = recomputed.find(t.credit_account_id);
    if (t.kind == TransferKind::saga_source) {
      if (dr != recomputed.end()) dr->second.debits_known = false;
      continue;
    }
    const Effect e = effect_of(t);
    if (e == Effect::none) continue;
    const u128 amount = t.amount.value();
    if (dr != recomputed.end()) {
      Balances& b = dr->second.balances;
      add_to(e == Effect::pending ? b.debits_pending : b.debits_posted, amount);
    }
    if (cr != recomputed.end()) {
      Balances& b = cr->second.balances;
      add_to(e == Effect::pending ? b.credits_pending : b.credits_posted, amount);
    }
  }
  for (const Account& a : accounts) {
    const Recomputed& r = recomputed[a.id];
    const Balances& b = a.balances;
    const bool debits_ok = !r.debits_known || (b.debits_pending == r.balances.debits_pending &&
                                               b.debits_posted == r.balances.debits_posted);
    const bool credits_ok = !r.credits_known || (b.credits_pending == r.balances.credits_pending &&
                                                 b.credits_posted == r.balances.credits_posted);
    if (debits_ok && credits_ok) continue;
    out.push_back({"balance_mismatch",
                   name_of(a) + ": stored " + four(b) + ", from transfers " + four(r.balances)});
  }
}

}  // namespace

std::vector<Violation> check_invariants(std::span<const Account> accounts) {
  std::vector<Violation> out;
  for (const Account& a : accounts) check_account(a, out);
  check_ledgers(accounts, out);
  return out;
}

std::vector<Violation> check_invariants(std::span<const Account> accounts,
                                        std::span<const Transfer> transfers) {
  std::vector<Violation> out = check_invariants(accounts);
  check_recomputed(accounts, transfers, out);
  return out;
}

std::string render(const std::vector<Violation>& violations) {
  std::string s;
  for (const Violation& v : violations) s += v.name + ": " + v.detail + "\n";
  return s;
}

}  // namespace tally
