// A seeded, reproducible randomized test: over 100,000 commands (accounts
// with and without limits, single-phase, pending, post, void, expire,
// balancing, closing, linked chains, duplicates, bad ids, cross-partition
// transfers, transfer ids of the other partition and saga commands) applied
// both to the ledger and to the reference model in ledger_model.h. After
// every record the outcomes, timestamps, history entries, timer operations
// and every record the commands named must be identical; the invariants are
// checked as it goes.
//
// TALLY_LEDGER_SEED=<n> runs another seed (the default is fixed);
// TALLY_LEDGER_COMMANDS=<n> another length.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <tuple>

#include "tests/fixtures/ledger_fixture.h"
#include "tests/fixtures/ledger_model.h"

using namespace ledger_test;
using namespace ledger_model;

namespace {

constexpr uint32_t kPartitions = 2;
constexpr u128 kAccounts = 16;  // ids 1..16 live here; 15 and 16 take huge amounts
// The partition under test owns the ids whose upper 64 bits are 0.
const uint32_t kSelf = partition_of_key(0, kPartitions).value;
const uint32_t kOther = kSelf ^ 1u;

uint64_t env_or(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::strtoull(v, nullptr, 10);
}

// The stand-in saga extension the model mirrors: a cross-partition transfer
// becomes a reservation record (pending, nothing moved); saga commands are
// answered saga_compensated.
class StandInSagas : public CommandExtension {
 public:
  Outcome begin_cross_partition(PartitionState& s, const CreateTransfer& c,
                                Timestamp ts) override {
    Transfer t;
    t.id = c.id;
    t.debit_account_id = c.debit_account_id;
    t.credit_account_id = c.credit_account_id;
    t.amount = t.requested_amount = c.amount;
    t.ledger = t.requested_ledger = c.ledger;
    t.code = t.requested_code = c.code;
    t.requested_credit_account_id = c.credit_account_id;
    t.flags = c.flags;
    t.timestamp = ts;
    t.state = PendingState::pending;
    t.kind = TransferKind::saga_source;
    s.insert_transfer(t);
    return Outcome::created;
  }
  Outcome apply_saga_command(PartitionState&, const Command&, Timestamp) override {
    return Outcome::saga_compensated;
  }
};

std::string str(u128 v) { return u128_to_string(v); }

std::string render_real(const Account* a) {
  if (a == nullptr) return "-";
  const Balances& b = a->balances;
  return str(a->id.value()) + " " + str(a->user_data_128) + "," + std::to_string(a->user_data_64) +
         "," + std::to_string(a->user_data_32) + " L" + std::to_string(a->ledger) + " C" +
         std::to_string(a->code) + " F" + std::to_string(a->flags) + " " + str(b.debits_pending) +
         "+" + str(b.debits_posted) + "/" + str(b.credits_pending) + "+" + str(b.credits_posted) +
         " @" + std::to_string(a->timestamp.ns) + " " + std::string(outcome_name(a->outcome));
}

std::string render_model(const std::optional<MAccount>& a) {
  if (!a) return "-";
  return str(a->id) + " " + str(a->ud128) + "," + std::to_string(a->ud64) + "," +
         std::to_string(a->ud32) + " L" + std::to_string(a->ledger) + " C" +
         std::to_string(a->code) + " F" + std::to_string(a->flags) + " " + str(a->dp) + "+" +
         str(a->dP) + "/" + str(a->cp) + "+" + str(a->cP) + " @" + std::to_string(a->ts) + " " +
         std::string(outcome_name(a->outcome));
}

std::string render_real(const Transfer* t) {
  if (t == nullptr) return "-";
  return str(t->id.value()) + " " + str(t->debit_account_id.value()) + ">" +
         str(t->credit_account_id.value()) + " " + str(t->amount.value()) + " p" +
         str(t->pending_id.value()) + " u" + str(t->user_data_128) + "," +
         std::to_string(t->user_data_64) + "," + std::to_string(t->user_data_32) + " t" +
         std::to_string(t->timeout_seconds) + " L" + std::to_string(t->ledger) + " C" +
         std::to_string(t->code) + " F" + std::to_string(t->flags) + " @" +
         std::to_string(t->timestamp.ns) + " " + std::string(outcome_name(t->outcome)) + " req " +
         str(t->requested_amount.value()) + "," + str(t->requested_credit_account_id.value()) +
         "," + std::to_string(t->requested_ledger) + "," + std::to_string(t->requested_code) +
         " s" + std::to_string(static_cast<int>(t->state)) + " d" +
         std::to_string(t->expires_at.ns) + (t->kind == TransferKind::user ? "" : " saga");
}

std::string render_model(const std::optional<MTransfer>& t) {
  if (!t) return "-";
  return str(t->id) + " " + str(t->dr) + ">" + str(t->cr) + " " + str(t->amount) + " p" +
         str(t->pending_id) + " u" + str(t->ud128) + "," + std::to_string(t->ud64) + "," +
         std::to_string(t->ud32) + " t" + std::to_string(t->timeout) + " L" +
         std::to_string(t->ledger) + " C" + std::to_string(t->code) + " F" +
         std::to_string(t->flags) + " @" + std::to_string(t->ts) + " " +
         std::string(outcome_name(t->outcome)) + " req " + str(t->req_amount) + "," +
         str(t->req_cr) + "," + std::to_string(t->req_ledger) + "," +
         std::to_string(t->req_code) + " s" + std::to_string(static_cast<int>(t->st)) + " d" +
         std::to_string(t->deadline) + (t->saga ? " saga" : "");
}

// Commands for the test, drawn from a seeded generator. It reads the
// model (never the ledger) to aim posts, voids and expiries at pending
// transfers that exist.
class Generator {
 public:
  Generator(uint64_t seed, const Model& model) : rng_(seed), model_(model) {
    for (uint64_t k = 1; k <= 3; k++) foreign_.push_back(id_in_partition(kOther, kPartitions, k));
  }

  // Accounts 1..16, all valid: plain ones, limited ones (funded only by
  // the transfers that follow), history, two on ledger 2, and the two that
  // take huge amounts. Ids 17..20 are opened (or rejected) later.
  std::vector<Command> opening() {
    using namespace account_flags;
    static constexpr uint16_t kFlags[kAccounts] = {
        0, 0, 0, history, debits_must_not_exceed_credits, debits_must_not_exceed_credits,
        debits_must_not_exceed_credits | history, credits_must_not_exceed_debits,
        credits_must_not_exceed_debits, history, 0, 0, 0, 0, 0, 0};
    std::vector<Command> r;
    for (u128 id = 1; id <= kAccounts; id++) {
      CreateAccount c;
      c.id = AccountId(id);
      c.flags = kFlags[id - 1];
      c.ledger = id == 13 || id == 14 ? 2 : 1;
      c.code = 1;
      r.push_back(c);
    }
    return r;
  }

  std::vector<Command> record(uint64_t now) {
    const size_t n = pick({40, 20, 12, 10, 8, 5, 3, 2}) + 1;
    std::vector<Command> r;
    for (size_t i = 0; i < n; i++) r.push_back(command());
    if (chance(25)) link(r);
    // What a scheduler would append: expiries of timers due by now, at a
    // random place in the record (an expiry may land inside a chain).
    for (auto it = timers_.begin(); it != timers_.end() && std::get<0>(*it) <= now; ++it) {
      if (!chance(60)) continue;
      const auto& [deadline, id, routing] = *it;
      r.insert(r.begin() + static_cast<std::ptrdiff_t>(below(r.size() + 1)),
               ExpirePending{TransferId(id), AccountId(routing)});
    }
    return r;
  }

  // Remembers what the record created that later commands may aim at, and
  // the timers it set or cleared (to expire transfers as a scheduler would).
  void learn(const std::vector<Command>& record, const std::vector<Outcome>& outcomes) {
    for (const MTimer& t : model_.timers()) {
      if (t.set) {
        timers_.insert({t.deadline, t.id, t.routing});
      } else {
        timers_.erase({t.deadline, t.id, t.routing});
      }
    }
    for (size_t i = 0; i < record.size(); i++) {
      const auto* t = std::get_if<CreateTransfer>(&record[i]);
      if (t == nullptr) continue;
      recent_.push_back(*t);
      if (recent_.size() > 256) recent_.erase(recent_.begin());
      const std::optional<MTransfer> made = model_.transfer(t->id.value());
      // The saga's reservations only sometimes: posts to them all fail alike.
      if (outcomes[i] == Outcome::created && made->st == St::pending &&
          (!made->saga || chance(5))) {
        pending_.push_back(t->id.value());
        if (pending_.size() > 512) pending_.erase(pending_.begin());
      }
    }
  }

  uint64_t advance(uint64_t now) {
    if (chance(2)) return now - kSecond;  // an append time that went back
    return now + below(700) * 1'000'000;
  }

 private:
  bool chance(uint32_t percent) { return below(100) < percent; }
  uint64_t below(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  size_t pick(std::initializer_list<uint32_t> weights) {
    uint32_t total = 0;
    for (uint32_t w : weights) total += w;
    uint64_t r = below(total);
    size_t i = 0;
    for (uint32_t w : weights) {
      if (r < w) return i;
      r -= w;
      i++;
    }
    return 0;
  }

  u128 some_account() {
    switch (pick({80, 5, 3, 5, 2, 2, 2, 1})) {
      case 0: return 1 + below(12);  // ledger 1
      case 1: return 13 + below(2);  // ledger 2
      case 2: return 15 + below(2);  // the accounts that take huge amounts
      case 3: return foreign_[below(foreign_.size())];
      case 4: return 0;
      case 5: return kU128Max;
      case 6: return make_u128(kReservedAccountHi, 1 + below(2));
      default: return 1 + kAccounts + below(4);  // never opened
    }
  }

  u128 amount() {
    switch (pick({70, 25, 5})) {
      case 0: return below(51);
      case 1: return below(501);
      default: return 0;  // huge amounts are chosen with their accounts
    }
  }

  Command account(u128 id) {
    using namespace account_flags;
    CreateAccount c;
    c.id = AccountId(id);
    static constexpr uint16_t kFlags[] = {0,
                                          debits_must_not_exceed_credits,
                                          credits_must_not_exceed_debits,
                                          history,
                                          debits_must_not_exceed_credits | history,
                                          debits_must_not_exceed_credits |
                                              credits_must_not_exceed_debits,
                                          closed,
                                          1u << 4};
    c.flags = kFlags[pick({50, 15, 10, 10, 6, 3, 3, 3})];
    static constexpr Ledger kLedgers[] = {1, 2, 0};
    c.ledger = kLedgers[pick({90, 7, 3})];
    c.code = chance(97) ? 1 : 0;
    if (chance(10)) c.user_data_64 = below(3);
    if (chance(1)) c.reserved = 1;
    return c;
  }

  Command command() {
    switch (pick({3, 38, 20, 12, 8, 3, 8, 1, 7})) {
      case 0: return account(chance(95) ? 1 + below(kAccounts + 4) : some_account());
      case 1: return single();
      case 2: return pending();
      case 3: return resolution(transfer_flags::post_pending);
      case 4: return resolution(transfer_flags::void_pending);
      case 5: return huge();
      case 6: return expiry();
      case 7: return saga();
      default: return again();
    }
  }

  TransferId new_id() {
    switch (pick({96, 2, 1, 1})) {
      case 0: return TransferId(next_id_++);
      case 1: return TransferId(0);
      case 2: return TransferId(kU128Max);
      default: return TransferId(make_u128(u128_hi(foreign_[0]), next_id_++));  // routes to the other partition
    }
  }

  CreateTransfer base() {
    CreateTransfer c;
    c.id = new_id();
    c.debit_account_id = AccountId(some_account());
    c.credit_account_id = AccountId(some_account());
    c.amount = Amount(amount());
    c.ledger = chance(96) ? 1 : static_cast<Ledger>(below(3));
    c.code = chance(98) ? 1 : 0;
    if (chance(5)) c.user_data_128 = below(3);
    if (chance(5)) c.user_data_64 = below(3);
    if (chance(5)) c.user_data_32 = static_cast<uint32_t>(below(3));
    if (chance(1)) c.flags |= static_cast<uint16_t>(1u << (8 + below(8)));
    return c;
  }

  Command single() {
    CreateTransfer c = base();
    if (chance(8)) c.flags |= transfer_flags::balancing_debit;
    if (chance(5)) c.flags |= transfer_flags::balancing_credit;
    if (chance(1)) c.flags |= transfer_flags::closing_debit;
    if (chance(1)) c.timeout_seconds = 1;
    if (chance(1)) c.pending_id = TransferId(1 + below(next_id_));
    return c;
  }

  Command pending() {
    CreateTransfer c = base();
    c.flags |= transfer_flags::pending;
    c.timeout_seconds = chance(40) ? 0 : static_cast<uint32_t>(1 + below(8));
    if (chance(2)) c.flags |= transfer_flags::closing_debit;
    if (chance(2)) c.flags |= transfer_flags::closing_credit;
    // A closing transfer without a timeout would often close its account
    // for the rest of the run (the tables cover that case).
    if ((c.flags & (transfer_flags::closing_debit | transfer_flags::closing_credit)) != 0) {
      c.timeout_seconds = static_cast<uint32_t>(1 + below(2));
    }
    if (chance(5)) c.flags |= transfer_flags::balancing_debit;
    if (chance(1)) c.flags |= transfer_flags::post_pending;
    return c;
  }

  u128 pending_target() {
    if (pending_.empty() || chance(8)) return 1 + below(next_id_);
    return pending_[pending_.size() - 1 - below(std::min<size_t>(pending_.size(), 64))];
  }

  Command resolution(uint16_t flag) {
    const u128 target = pending_target();
    const std::optional<MTransfer> p = model_.transfer(target);
    CreateTransfer c;
    c.id = new_id();
    c.pending_id = TransferId(chance(98) ? target : below(2) * kU128Max);
    c.debit_account_id = AccountId(p && chance(95) ? p->dr : some_account());
    c.flags = flag;
    const u128 full = p ? p->amount : 10;
    switch (pick({35, 25, 25, 15})) {
      case 0: c.amount = Amount(kU128Max); break;
      case 1: c.amount = Amount(flag == transfer_flags::void_pending ? 0 : below(1 + full)); break;
      case 2: c.amount = Amount(full); break;
      default: c.amount = Amount(full + below(3) - 1); break;
    }
    if (chance(10)) c.credit_account_id = AccountId(p && chance(70) ? p->cr : some_account());
    if (chance(8)) c.ledger = static_cast<Ledger>(1 + below(2));
    if (chance(8)) c.code = static_cast<Code>(1 + below(2));
    if (chance(5)) c.user_data_64 = below(3);
    if (chance(2)) c.timeout_seconds = 1;
    if (chance(2)) c.flags |= transfer_flags::pending;
    if (chance(1)) c.flags |= transfer_flags::post_pending | transfer_flags::void_pending;
    if (chance(1)) c.pending_id = c.id;
    return c;
  }

  // Amounts near 2^128, to reach every overflow check without saturating
  // the accounts for good: posted ones only between accounts 15 and 16,
  // pending ones (which expire) among the plain accounts 1, 2, 3, 11, 12.
  Command huge() {
    CreateTransfer c = base();
    c.amount = Amount(kU128Max - below(1000));
    c.flags = 0;
    if (chance(40)) {
      const bool up = chance(50);
      c.debit_account_id = AccountId(up ? kAccounts - 1 : kAccounts);
      c.credit_account_id = AccountId(up ? kAccounts : kAccounts - 1);
      return c;
    }
    static constexpr u128 kPlain[] = {1, 2, 3, 11, 12};
    const size_t dr = below(5);
    c.debit_account_id = AccountId(kPlain[dr]);
    c.credit_account_id = AccountId(kPlain[(dr + 1 + below(4)) % 5]);
    c.flags = transfer_flags::pending;
    c.timeout_seconds = static_cast<uint32_t>(1 + below(3));
    return c;
  }

  Command expiry() {
    const u128 target = pending_target();
    const std::optional<MTransfer> p = model_.transfer(target);
    return ExpirePending{TransferId(target), AccountId(p && chance(95) ? p->dr : some_account())};
  }

  Command saga() {
    switch (below(4)) {
      case 0: return SagaCredit{TransferId(1 + below(next_id_))};
      case 1: return SagaReply{TransferId(1 + below(next_id_)), AccountId(1)};
      case 2: return SagaCancel{TransferId(1 + below(next_id_))};
      default: return SagaTimeout{TransferId(1 + below(next_id_)), AccountId(1)};
    }
  }

  // A command sent before, as it was or with one field changed.
  Command again() {
    if (recent_.empty()) return single();
    CreateTransfer c = recent_[below(recent_.size())];
    switch (pick({55, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4})) {
      case 0: break;
      case 1: c.amount = Amount(c.amount.value() + 1); break;
      case 2: c.user_data_64 += 1; break;
      case 3: c.code = static_cast<Code>(c.code + 1); break;
      case 4: c.flags ^= transfer_flags::linked; break;
      case 5: c.credit_account_id = AccountId(some_account()); break;
      case 6: c.pending_id = TransferId(c.pending_id.value() + 1); break;
      case 7: c.timeout_seconds += 1; break;
      case 8: c.debit_account_id = AccountId(1 + below(12)); break;
      case 9: c.user_data_32 += 1; break;
      default: c.user_data_128 += 1; break;
    }
    return c;
  }

  // Links a run of the record's commands into a chain; sometimes leaves it
  // open.
  void link(std::vector<Command>& r) {
    const size_t first = below(r.size());
    const size_t last = first + below(r.size() - first);
    for (size_t i = first; i <= last; i++) {
      if (i == last && chance(80)) break;
      if (auto* a = std::get_if<CreateAccount>(&r[i])) a->flags |= account_flags::linked;
      if (auto* t = std::get_if<CreateTransfer>(&r[i])) t->flags |= transfer_flags::linked;
    }
  }

  std::mt19937_64 rng_;
  const Model& model_;
  std::vector<u128> foreign_;
  std::vector<u128> pending_;
  std::vector<CreateTransfer> recent_;
  std::set<std::tuple<uint64_t, u128, u128>> timers_;  // deadline, pending id, routing
  u128 next_id_ = 1000;
};

std::string render(const std::vector<MHistory>& v) {
  std::string s;
  for (const MHistory& h : v) {
    s += str(h.account) + "@" + std::to_string(h.ts) + "#" + str(h.transfer);
    if (h.has) s += " " + str(h.dp) + "+" + str(h.dP) + "/" + str(h.cp) + "+" + str(h.cP);
    s += "; ";
  }
  return s;
}

std::string render(const std::vector<MTimer>& v) {
  std::string s;
  for (const MTimer& t : v) {
    s += std::string(t.set ? "set " : "clear ") + str(t.id) + "@" + std::to_string(t.deadline) +
         " via " + str(t.routing) + "; ";
  }
  return s;
}

std::vector<MHistory> real_history(const ChangeSet& c) {
  std::vector<MHistory> out;
  for (const HistoryEntry& h : c.history) {
    const Balances& b = h.balances;
    out.push_back({h.account.value(), h.timestamp.ns, h.transfer.value(), h.has_balances,
                   b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted});
  }
  return out;
}

std::vector<MTimer> real_timers(const ChangeSet& c) {
  std::vector<MTimer> out;
  for (const ChangeSet::TimerOp& op : c.timers) {
    CHECK(op.timer.kind == TimerKind::pending_expiry);
    out.push_back({op.set, op.timer.deadline.ns, op.timer.id, op.timer.routing.value()});
  }
  return out;
}

// Everything the test has named, to compare and to check invariants over.
struct Named {
  std::vector<u128> accounts, transfers;
  std::set<u128> seen_accounts, seen_transfers;
  void note(const Command& c) {
    auto acc = [this](u128 id) {
      if (seen_accounts.insert(id).second) accounts.push_back(id);
    };
    auto xfer = [this](u128 id) {
      if (seen_transfers.insert(id).second) transfers.push_back(id);
    };
    if (const auto* a = std::get_if<CreateAccount>(&c)) acc(a->id.value());
    if (const auto* t = std::get_if<CreateTransfer>(&c)) {
      xfer(t->id.value());
      xfer(t->pending_id.value());
      acc(t->debit_account_id.value());
      acc(t->credit_account_id.value());
    }
    if (const auto* e = std::get_if<ExpirePending>(&c)) xfer(e->pending_id.value());
  }
};

void compare_records(const PartitionState& s, const Model& m, const std::vector<u128>& accounts,
                     const std::vector<u128>& transfers) {
  for (u128 id : accounts) {
    const std::string real = render_real(s.find_account(AccountId(id)));
    const std::string model = render_model(m.account(id));
    if (real != model) CHECK(real == model);
  }
  for (u128 id : transfers) {
    const std::string real = render_real(s.find_transfer(TransferId(id)));
    const std::string model = render_model(m.transfer(id));
    if (real != model) CHECK(real == model);
  }
}

std::string check_books(const PartitionState& s, const Named& named) {
  std::vector<Account> accounts;
  for (u128 id : named.accounts) {
    if (const Account* a = s.find_account(AccountId(id))) accounts.push_back(*a);
  }
  std::vector<Transfer> transfers;
  for (u128 id : named.transfers) {
    const Transfer* t = s.find_transfer(TransferId(id));
    // The stand-in saga's reservations moved nothing; leave them out.
    if (t != nullptr && t->kind == TransferKind::user) transfers.push_back(*t);
  }
  return render(check_invariants(accounts, transfers));
}

}  // namespace

TEST_CASE("randomized: the ledger agrees with the reference model over 100,000 commands") {
  constexpr uint64_t kDefaultSeed = 20261122;
  const uint64_t seed = env_or("TALLY_LEDGER_SEED", kDefaultSeed);
  const uint64_t total = env_or("TALLY_LEDGER_COMMANDS", 100'000);
  CAPTURE(seed);
  StandInSagas sagas;
  PartitionState state(Partition{kSelf}, kPartitions);
  Model model(kSelf, kPartitions);
  Generator gen(seed, model);
  Named named;
  std::map<std::string, uint64_t> histogram;
  uint64_t now = kStart, commands = 0, records = 0;
  std::vector<Command> record = gen.opening();
  RecordOutcome out;
  std::vector<uint64_t> model_ts;
  while (commands < total) {
    CAPTURE(records);
    apply_record(state, record, Timestamp{now}, &sagas, out);
    const std::vector<Outcome> expected = model.apply(record, now, model_ts);
    REQUIRE(out.outcomes.size() == record.size());
    REQUIRE(render(out.outcomes) == render(expected));
    for (size_t i = 0; i < record.size(); i++) REQUIRE(out.timestamps[i].ns == model_ts[i]);
    REQUIRE(render(real_history(state.changes())) == render(model.history()));
    REQUIRE(render(real_timers(state.changes())) == render(model.timers()));
    state.clear_changes();

    Named mentioned;
    for (const Command& c : record) {
      named.note(c);
      mentioned.note(c);
    }
    compare_records(state, model, mentioned.accounts, mentioned.transfers);
    for (Outcome o : out.outcomes) histogram[std::string(outcome_name(o))]++;
    gen.learn(record, out.outcomes);
    if (++records % 1000 == 0) REQUIRE(check_books(state, named) == "");
    commands += record.size();
    now = gen.advance(now);
    record = gen.record(now);
  }
  compare_records(state, model, named.accounts, named.transfers);
  CHECK(check_books(state, named) == "");

  // The generator must reach the rules, not only their first checks (for
  // the default seed; other seeds are for finding disagreements).
  std::string missing;
  for (const char* name :
       {"created", "exists", "exceeds_credits", "exceeds_debits", "expired", "not_yet_due",
        "pending_transfer_expired", "pending_transfer_already_posted",
        "pending_transfer_already_voided", "exceeds_pending_transfer_amount",
        "pending_transfer_has_different_amount", "linked_event_failed", "linked_event_chain_open",
        "linked_chain_spans_partitions", "overflows_debits_posted", "overflows_credits_pending",
        "overflows_debits", "debit_account_already_closed", "credit_account_already_closed",
        "exists_with_different_amount", "transit_account_reserved", "wrong_partition",
        "cross_partition_transfer_must_be_single_phase", "accounts_must_have_the_same_ledger",
        "saga_compensated", "debit_account_not_found", "flags_are_mutually_exclusive",
        "exists_with_different_pending_id", "exists_with_different_timeout",
        "exists_with_different_debit_account_id"}) {
    if (histogram[name] == 0) missing += std::string(name) + " ";
  }
  if (seed == kDefaultSeed) CHECK(missing == "");
  if (std::getenv("TALLY_LEDGER_HISTOGRAM") != nullptr) {
    for (const auto& [name, n] : histogram) MESSAGE(name << " " << n);
  }
  if (seed == kDefaultSeed) CHECK(histogram.size() >= 60);
  CHECK(histogram["created"] > total / 5);
  MESSAGE("seed " << seed << ": " << commands << " commands in " << records << " records, "
                  << histogram.size() << " distinct outcomes, " << histogram["created"]
                  << " created");
}
