#include "tests/unit/ledger_model.h"

#include "engine/core/partitioner.h"

namespace ledger_model {

using namespace tally;

namespace {

constexpr u128 MAX = ~u128{0};
constexpr uint64_t kReservedHi = 0xFFFF'FFFF'0000'0000ull;
constexpr uint16_t LINKED = 1, PENDING = 2, POST = 4, VOID = 8, BAL_DR = 16, BAL_CR = 32,
                   CLOSE_DR = 64, CLOSE_CR = 128;
constexpr uint16_t A_DMNEC = 2, A_CMNED = 4, A_HISTORY = 8, A_CLOSED = 32;

bool over(u128 a, u128 b) { return a > MAX - b; }
bool reserved_id(u128 id) { return static_cast<uint64_t>(id >> 64) >= kReservedHi; }
bool user_kind(const Command& c) {
  return std::holds_alternative<CreateAccount>(c) || std::holds_alternative<CreateTransfer>(c);
}
bool has_link(const Command& c) {
  if (auto* a = std::get_if<CreateAccount>(&c)) return a->flags & LINKED;
  if (auto* t = std::get_if<CreateTransfer>(&c)) return t->flags & LINKED;
  return false;
}

}  // namespace

bool Model::owns(u128 account) const {
  return partition_of_key(static_cast<uint64_t>(account >> 64), partitions_).value == self_;
}

std::optional<MAccount> Model::account(u128 id) const {
  if (overlay_) {
    auto it = overlay_->accounts.find(id);
    if (it != overlay_->accounts.end()) return it->second;
  }
  auto it = accounts_.find(id);
  if (it == accounts_.end()) return std::nullopt;
  return it->second;
}

std::optional<MTransfer> Model::transfer(u128 id) const {
  if (overlay_) {
    auto it = overlay_->transfers.find(id);
    if (it != overlay_->transfers.end()) return it->second;
  }
  auto it = transfers_.find(id);
  if (it == transfers_.end()) return std::nullopt;
  return it->second;
}

void Model::save(const MAccount& a) {
  if (overlay_) {
    overlay_->accounts[a.id] = a;
  } else {
    accounts_[a.id] = a;
  }
}

void Model::save(const MTransfer& t) {
  if (overlay_) {
    overlay_->transfers[t.id] = t;
  } else {
    transfers_[t.id] = t;
  }
}

void Model::note_history(u128 id, uint64_t ts, u128 transfer) {
  MAccount a = *account(id);
  MHistory h{id, ts, transfer, false, 0, 0, 0, 0};
  if (a.flags & A_HISTORY) h = {id, ts, transfer, true, a.dp, a.dP, a.cp, a.cP};
  history_.push_back(h);
}

std::vector<Outcome> Model::apply(const std::vector<Command>& record, uint64_t append_ns,
                                  std::vector<uint64_t>& timestamps) {
  history_.clear();
  timers_.clear();
  timestamps.clear();
  std::vector<Outcome> outs;
  auto tick = [&] {
    last_ns_ = std::max(last_ns_ + 1, append_ns);
    timestamps.push_back(last_ns_);
    return last_ns_;
  };
  size_t i = 0;
  while (i < record.size()) {
    if (!user_kind(record[i]) || !has_link(record[i])) {
      outs.push_back(one(record[i], tick(), false));
      i++;
      continue;
    }
    size_t j = i;
    while (j < record.size() && user_kind(record[j]) && has_link(record[j])) j++;
    const bool open = j == record.size() || !user_kind(record[j]);
    const size_t end = open ? j - 1 : j;
    overlay_ = Overlay{{}, {}, history_.size(), timers_.size()};
    const size_t first = outs.size();
    size_t broke = SIZE_MAX;
    for (size_t k = i; k <= end; k++) {
      const uint64_t ts = tick();
      if (open && k == end) {
        outs.push_back(Outcome::linked_event_chain_open);
      } else if (broke != SIZE_MAX) {
        outs.push_back(Outcome::linked_event_failed);
      } else {
        const Outcome o = one(record[k], ts, true);
        outs.push_back(o);
        if (o != Outcome::created && o != Outcome::exists) broke = k;
      }
    }
    Overlay ov = std::move(*overlay_);
    overlay_.reset();
    if (broke == SIZE_MAX && !open) {
      for (auto& [id, a] : ov.accounts) accounts_[id] = a;
      for (auto& [id, t] : ov.transfers) transfers_[id] = t;
    } else {
      history_.resize(ov.history);
      timers_.resize(ov.timers);
      for (size_t k = i; k < end; k++) {
        if (k != broke) outs[first + (k - i)] = Outcome::linked_event_failed;
      }
    }
    i = end + 1;
  }
  return outs;
}

Outcome Model::one(const Command& c, uint64_t ts, bool in_chain) {
  if (auto* a = std::get_if<CreateAccount>(&c)) return create_account(*a, ts);
  if (auto* t = std::get_if<CreateTransfer>(&c)) return create_transfer(*t, ts, in_chain);
  if (auto* e = std::get_if<ExpirePending>(&c)) return expire(*e, ts);
  return Outcome::saga_compensated;  // the stand-in saga extension
}

Outcome Model::create_account(const CreateAccount& c, uint64_t ts) {
  const u128 id = c.id.value();
  if (id == 0) return Outcome::id_must_not_be_zero;
  if (id == MAX) return Outcome::id_must_not_be_int_max;
  if (reserved_id(id)) return Outcome::id_in_reserved_range;
  if (!owns(id)) return Outcome::wrong_partition;
  if (auto e = account(id)) {
    if (e->outcome != Outcome::created) return e->outcome;
    uint16_t mine = c.flags, theirs = e->flags;
    if ((theirs & A_CLOSED) && !(mine & A_CLOSED)) theirs &= ~A_CLOSED;
    if (mine != theirs) return Outcome::exists_with_different_flags;
    if (c.user_data_128 != e->ud128) return Outcome::exists_with_different_user_data_128;
    if (c.user_data_64 != e->ud64) return Outcome::exists_with_different_user_data_64;
    if (c.user_data_32 != e->ud32) return Outcome::exists_with_different_user_data_32;
    if (c.ledger != e->ledger) return Outcome::exists_with_different_ledger;
    if (c.code != e->code) return Outcome::exists_with_different_code;
    return Outcome::exists;
  }
  Outcome o = Outcome::created;
  if (c.reserved != 0) {
    o = Outcome::reserved_field;
  } else if (c.flags & ~uint16_t{1 | 2 | 4 | 8 | 32}) {
    o = Outcome::reserved_flag;
  } else if ((c.flags & A_DMNEC) && (c.flags & A_CMNED)) {
    o = Outcome::flags_are_mutually_exclusive;
  } else if (c.ledger == 0) {
    o = Outcome::ledger_must_not_be_zero;
  } else if (c.code == 0) {
    o = Outcome::code_must_not_be_zero;
  }
  save(MAccount{id, c.user_data_128, c.user_data_64, c.user_data_32, c.ledger, c.code, c.flags,
                0, 0, 0, 0, ts, o});
  return o;
}

Outcome Model::existing_transfer(const CreateTransfer& c, const MTransfer& e) const {
  if (e.outcome != Outcome::created) return e.outcome;
  if (c.flags != e.flags) return Outcome::exists_with_different_flags;
  if (c.pending_id.value() != e.pending_id) return Outcome::exists_with_different_pending_id;
  if (c.timeout_seconds != e.timeout) return Outcome::exists_with_different_timeout;
  std::optional<MTransfer> p;
  if (c.flags & (POST | VOID)) p = transfer(e.pending_id);
  if (!p) {
    if (c.debit_account_id.value() != e.dr) return Outcome::exists_with_different_debit_account_id;
    if (c.credit_account_id.value() != e.req_cr) return Outcome::exists_with_different_credit_account_id;
    if (c.amount.value() != e.req_amount) return Outcome::exists_with_different_amount;
    if (c.user_data_128 != e.ud128) return Outcome::exists_with_different_user_data_128;
    if (c.user_data_64 != e.ud64) return Outcome::exists_with_different_user_data_64;
    if (c.user_data_32 != e.ud32) return Outcome::exists_with_different_user_data_32;
    if (c.ledger != e.req_ledger) return Outcome::exists_with_different_ledger;
    if (c.code != e.req_code) return Outcome::exists_with_different_code;
    return Outcome::exists;
  }
  const u128 cr = c.credit_account_id.value() ? c.credit_account_id.value() : p->cr;
  u128 amount = c.amount.value();
  if (amount == MAX || ((c.flags & VOID) && amount == 0)) amount = p->amount;
  if (c.debit_account_id.value() != e.dr) return Outcome::exists_with_different_debit_account_id;
  if (cr != e.cr) return Outcome::exists_with_different_credit_account_id;
  if (amount != e.amount) return Outcome::exists_with_different_amount;
  if ((c.user_data_128 ? c.user_data_128 : p->ud128) != e.ud128)
    return Outcome::exists_with_different_user_data_128;
  if ((c.user_data_64 ? c.user_data_64 : p->ud64) != e.ud64)
    return Outcome::exists_with_different_user_data_64;
  if ((c.user_data_32 ? c.user_data_32 : p->ud32) != e.ud32)
    return Outcome::exists_with_different_user_data_32;
  if ((c.ledger ? c.ledger : p->ledger) != e.ledger) return Outcome::exists_with_different_ledger;
  if ((c.code ? c.code : p->code) != e.code) return Outcome::exists_with_different_code;
  return Outcome::exists;
}

Outcome Model::create_transfer(const CreateTransfer& c, uint64_t ts, bool in_chain) {
  const u128 id = c.id.value();
  if (id == 0) return Outcome::id_must_not_be_zero;
  if (id == MAX) return Outcome::id_must_not_be_int_max;
  if (!owns(c.debit_account_id.value())) return Outcome::wrong_partition;
  if (auto e = transfer(id)) return existing_transfer(c, *e);
  // The debit account is this partition's, so the id must route here too.
  if (!owns(id)) return Outcome::id_must_route_to_debit_account_partition;
  bool record = true;
  const Outcome o = new_transfer(c, ts, in_chain, record);
  if (o != Outcome::created && record) {
    MTransfer t;
    t.id = id;
    t.dr = c.debit_account_id.value();
    t.cr = t.req_cr = c.credit_account_id.value();
    t.amount = t.req_amount = c.amount.value();
    t.pending_id = c.pending_id.value();
    t.ud128 = c.user_data_128;
    t.ud64 = c.user_data_64;
    t.ud32 = c.user_data_32;
    t.timeout = c.timeout_seconds;
    t.ledger = t.req_ledger = c.ledger;
    t.code = t.req_code = c.code;
    t.flags = c.flags;
    t.ts = ts;
    t.outcome = o;
    save(t);
  }
  return o;
}

Outcome Model::new_transfer(const CreateTransfer& c, uint64_t ts, bool in_chain, bool& record) {
  if (c.flags & 0xFF00) return Outcome::reserved_flag;
  if (c.flags & (POST | VOID)) return resolve(c, ts);
  const u128 dr = c.debit_account_id.value(), cr = c.credit_account_id.value();
  const bool pending = c.flags & PENDING;
  if (dr == 0) return Outcome::debit_account_id_must_not_be_zero;
  if (dr == MAX) return Outcome::debit_account_id_must_not_be_int_max;
  if (cr == 0) return Outcome::credit_account_id_must_not_be_zero;
  if (cr == MAX) return Outcome::credit_account_id_must_not_be_int_max;
  if (dr == cr) return Outcome::accounts_must_be_different;
  if (reserved_id(dr) || reserved_id(cr)) return Outcome::transit_account_reserved;
  if (c.pending_id.value() != 0) return Outcome::pending_id_must_be_zero;
  if (!pending && c.timeout_seconds) return Outcome::timeout_reserved_for_pending_transfer;
  if (!pending && (c.flags & (CLOSE_DR | CLOSE_CR))) return Outcome::closing_transfer_must_be_pending;
  if (c.ledger == 0) return Outcome::ledger_must_not_be_zero;
  if (c.code == 0) return Outcome::code_must_not_be_zero;
  if (!owns(cr)) {
    if (c.flags & (PENDING | BAL_DR | BAL_CR | CLOSE_DR | CLOSE_CR))
      return Outcome::cross_partition_transfer_must_be_single_phase;
    record = false;
    if (in_chain) return Outcome::linked_chain_spans_partitions;
    // The stand-in saga extension: a reservation record, nothing moved.
    MTransfer t;
    t.id = c.id.value();
    t.dr = dr;
    t.cr = t.req_cr = cr;
    t.amount = t.req_amount = c.amount.value();
    t.ledger = t.req_ledger = c.ledger;
    t.code = t.req_code = c.code;
    t.flags = c.flags;
    t.ts = ts;
    t.st = St::pending;
    t.saga = true;
    save(t);
    return Outcome::created;
  }
  auto da = account(dr);
  if (!da || da->outcome != Outcome::created) return Outcome::debit_account_not_found;
  auto ca = account(cr);
  if (!ca || ca->outcome != Outcome::created) return Outcome::credit_account_not_found;
  if (da->ledger != ca->ledger) return Outcome::accounts_must_have_the_same_ledger;
  if (c.ledger != da->ledger) return Outcome::transfer_must_have_the_same_ledger_as_accounts;
  if (da->flags & A_CLOSED) return Outcome::debit_account_already_closed;
  if (ca->flags & A_CLOSED) return Outcome::credit_account_already_closed;
  u128 amount = c.amount.value();
  if (c.flags & BAL_DR) {
    const u128 used = da->dP + da->dp;
    amount = std::min(amount, da->cP > used ? da->cP - used : 0);
  }
  if (c.flags & BAL_CR) {
    const u128 used = ca->cP + ca->cp;
    amount = std::min(amount, ca->dP > used ? ca->dP - used : 0);
  }
  if (pending && over(da->dp, amount)) return Outcome::overflows_debits_pending;
  if (pending && over(ca->cp, amount)) return Outcome::overflows_credits_pending;
  if (over(da->dP, amount)) return Outcome::overflows_debits_posted;
  if (over(ca->cP, amount)) return Outcome::overflows_credits_posted;
  if (over(da->dp + da->dP, amount)) return Outcome::overflows_debits;
  if (over(ca->cp + ca->cP, amount)) return Outcome::overflows_credits;
  const u128 deadline = u128{ts} + u128{c.timeout_seconds} * 1'000'000'000u;
  if (c.timeout_seconds && deadline >= (u128{1} << 63)) return Outcome::overflows_timeout;
  if ((da->flags & A_DMNEC) && da->dp + da->dP + amount > da->cP) return Outcome::exceeds_credits;
  if ((ca->flags & A_CMNED) && ca->cp + ca->cP + amount > ca->dP) return Outcome::exceeds_debits;

  MTransfer t;
  t.id = c.id.value();
  t.dr = dr;
  t.cr = t.req_cr = cr;
  t.amount = amount;
  t.req_amount = c.amount.value();
  t.ud128 = c.user_data_128;
  t.ud64 = c.user_data_64;
  t.ud32 = c.user_data_32;
  t.timeout = c.timeout_seconds;
  t.ledger = t.req_ledger = c.ledger;
  t.code = t.req_code = c.code;
  t.flags = c.flags;
  t.ts = ts;
  t.st = pending ? St::pending : St::none;
  t.deadline = c.timeout_seconds ? static_cast<uint64_t>(deadline) : 0;
  save(t);
  if (t.deadline) timers_.push_back({true, t.deadline, t.id, dr});
  MAccount d = *da;
  if (pending) d.dp += amount; else d.dP += amount;
  if (c.flags & CLOSE_DR) d.flags |= A_CLOSED;
  save(d);
  MAccount k = *account(cr);
  if (pending) k.cp += amount; else k.cP += amount;
  if (c.flags & CLOSE_CR) k.flags |= A_CLOSED;
  save(k);
  note_history(dr, ts, t.id);
  note_history(cr, ts, t.id);
  return Outcome::created;
}

Outcome Model::resolve(const CreateTransfer& c, uint64_t ts) {
  const bool is_post = c.flags & POST;
  if ((is_post && (c.flags & VOID)) || (c.flags & (PENDING | BAL_DR | BAL_CR | CLOSE_DR | CLOSE_CR)))
    return Outcome::flags_are_mutually_exclusive;
  const u128 pid = c.pending_id.value();
  if (pid == 0) return Outcome::pending_id_must_not_be_zero;
  if (pid == MAX) return Outcome::pending_id_must_not_be_int_max;
  if (pid == c.id.value()) return Outcome::pending_id_must_be_different;
  if (c.timeout_seconds) return Outcome::timeout_reserved_for_pending_transfer;
  auto p = transfer(pid);
  if (!p || p->outcome != Outcome::created) return Outcome::pending_transfer_not_found;
  if (p->saga) return Outcome::transit_account_reserved;
  if (p->st == St::none) return Outcome::pending_transfer_not_pending;
  if (c.debit_account_id.value() != p->dr) return Outcome::pending_transfer_has_different_debit_account_id;
  if (c.credit_account_id.value() && c.credit_account_id.value() != p->cr)
    return Outcome::pending_transfer_has_different_credit_account_id;
  if (c.ledger && c.ledger != p->ledger) return Outcome::pending_transfer_has_different_ledger;
  if (c.code && c.code != p->code) return Outcome::pending_transfer_has_different_code;
  const u128 asked = c.amount.value();
  u128 posted = 0;
  if (is_post) {
    posted = asked == MAX ? p->amount : asked;
    if (posted > p->amount) return Outcome::exceeds_pending_transfer_amount;
  } else if (asked != 0 && asked != MAX && asked != p->amount) {
    return Outcome::pending_transfer_has_different_amount;
  }
  if (p->st == St::posted) return Outcome::pending_transfer_already_posted;
  if (p->st == St::voided) return Outcome::pending_transfer_already_voided;
  if (p->st == St::expired) return Outcome::pending_transfer_expired;
  if (p->deadline && ts >= p->deadline) return Outcome::pending_transfer_expired;
  if (is_post && (account(p->dr)->flags & A_CLOSED)) return Outcome::debit_account_already_closed;
  if (is_post && (account(p->cr)->flags & A_CLOSED)) return Outcome::credit_account_already_closed;

  MTransfer t;
  t.id = c.id.value();
  t.dr = p->dr;
  t.cr = p->cr;
  t.amount = is_post ? posted : p->amount;
  t.pending_id = pid;
  t.ud128 = c.user_data_128 ? c.user_data_128 : p->ud128;
  t.ud64 = c.user_data_64 ? c.user_data_64 : p->ud64;
  t.ud32 = c.user_data_32 ? c.user_data_32 : p->ud32;
  t.ledger = p->ledger;
  t.code = p->code;
  t.flags = c.flags;
  t.ts = ts;
  t.req_amount = asked;
  t.req_cr = c.credit_account_id.value();
  t.req_ledger = c.ledger;
  t.req_code = c.code;
  save(t);
  release(*p, posted, is_post ? St::posted : St::voided, ts, t.id);
  return Outcome::created;
}

void Model::release(MTransfer p, u128 posted, St to, uint64_t ts, u128 cause) {
  p.st = to;
  save(p);
  if (p.deadline) timers_.push_back({false, p.deadline, p.id, p.dr});
  MAccount d = *account(p.dr);
  d.dp -= p.amount;
  d.dP += posted;
  if (to != St::posted && (p.flags & CLOSE_DR)) d.flags &= ~A_CLOSED;
  save(d);
  MAccount k = *account(p.cr);
  k.cp -= p.amount;
  k.cP += posted;
  if (to != St::posted && (p.flags & CLOSE_CR)) k.flags &= ~A_CLOSED;
  save(k);
  note_history(p.dr, ts, cause);
  note_history(p.cr, ts, cause);
}

Outcome Model::expire(const ExpirePending& e, uint64_t ts) {
  if (!owns(e.debit_account_id.value())) return Outcome::wrong_partition;
  auto p = transfer(e.pending_id.value());
  if (!p || p->outcome != Outcome::created) return Outcome::pending_transfer_not_found;
  if (p->st == St::none) return Outcome::pending_transfer_not_pending;
  if (e.debit_account_id.value() != p->dr) return Outcome::pending_transfer_has_different_debit_account_id;
  if (p->st == St::posted) return Outcome::pending_transfer_already_posted;
  if (p->st == St::voided) return Outcome::pending_transfer_already_voided;
  if (p->st == St::expired) return Outcome::pending_transfer_expired;
  if (p->deadline == 0 || ts < p->deadline) return Outcome::not_yet_due;
  release(*p, 0, St::expired, ts, p->id);
  return Outcome::expired;
}

}  // namespace ledger_model
