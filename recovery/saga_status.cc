#include "recovery/saga_status.h"

#include <functional>
#include <map>
#include <tuple>

#include "engine/core/bytes.h"
#include "projections/records.h"
#include "recovery/sagas.h"
#include "recovery/transit.h"

namespace tally {

Result<std::optional<SagaStatus>> find_saga(std::span<const PartitionStore* const> stores, TransferId id) {
  const auto n = static_cast<uint32_t>(stores.size());
  for (uint32_t p = 0; p < n; p++) {
    if (stores[p] == nullptr) continue;
    TALLY_ASSIGN_OR_RETURN(std::optional<Saga> saga, stores[p]->saga(id));
    if (!saga) continue;
    const std::string where = "saga " + id.str() + " of partition " + std::to_string(p);
    TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> reservation, stores[p]->transfer(id));
    if (!reservation) return Status::Corruption(where + " has no transfer record");
    if (saga->destination.value >= n) {
      return Status::Corruption(where + " names destination partition " +
                                std::to_string(saga->destination.value) + " of " + std::to_string(n));
    }
    SagaStatus s;
    s.saga = *saga;
    s.reservation = *reservation;
    if (const PartitionStore* dst = stores[saga->destination.value]; dst != nullptr) {
      TALLY_ASSIGN_OR_RETURN(s.leg, dst->leg(Partition{p}, id));
      if (s.leg && s.leg->decision == LegDecision::credited) {
        TALLY_ASSIGN_OR_RETURN(std::optional<Transfer> credit, dst->transfer(id));
        if (credit && credit->kind == TransferKind::saga_credit) s.credit = credit;
      }
    } else {
      s.destination_read = false;
    }
    s.source_transit = transit_account(Partition{p}, saga->destination, reservation->ledger, n);
    s.destination_transit = transit_account(saga->destination, Partition{p}, reservation->ledger, n);
    s.stuck = saga_stuck(*saga);
    return std::optional<SagaStatus>(std::move(s));
  }
  return std::optional<SagaStatus>();
}

namespace {

// Every in-flight saga has exactly one saga_deadline timer (set when it
// starts, moved by each timeout, cleared when it settles): the timer index
// is the in-flight index. Calls `fn(saga id)` for each, in deadline order,
// until it returns false, reading at most `limit` timers (0: no limit);
// returns how many timers were read.
Result<size_t> scan_saga_deadlines(const PartitionStore& store, size_t limit,
                                   const std::function<bool(TransferId)>& fn) {
  Status bad;
  TALLY_ASSIGN_OR_RETURN(size_t keys, store.scan("W", "X", false, limit,
                                                 [&](std::string_view key, std::string_view value) {
                                                   Result<Timer> t = decode_timer(key, value);
                                                   if (!t.ok()) {
                                                     bad = t.status();
                                                     return false;
                                                   }
                                                   return t->kind != TimerKind::saga_deadline || fn(TransferId(t->id));
                                                 }));
  TALLY_RETURN_IF_ERROR(bad);
  return keys;
}

}  // namespace

Result<bool> any_saga_in_flight(const PartitionStore& store) {
  bool found = false;
  TALLY_RETURN_IF_ERROR(scan_saga_deadlines(store, 0, [&](TransferId) {
                          found = true;
                          return false;
                        }).status());
  return found;
}

Result<SagaCounts> count_sagas(const PartitionStore& store, size_t max_scan, std::vector<Saga>* stuck,
                               size_t stuck_limit) {
  std::vector<TransferId> ids;
  TALLY_ASSIGN_OR_RETURN(size_t keys, scan_saga_deadlines(store, max_scan + 1, [&](TransferId id) {
                           ids.push_back(id);
                           return true;
                         }));
  SagaCounts c;
  c.truncated = keys > max_scan;
  if (ids.size() > max_scan) ids.resize(max_scan);
  c.in_flight = ids.size();
  for (TransferId id : ids) {
    TALLY_ASSIGN_OR_RETURN(std::optional<Saga> saga, store.saga(id));
    // Settled between the scan and this read: no longer in flight.
    if (!saga || saga->state != SagaState::in_flight) {
      c.in_flight--;
      continue;
    }
    if (!saga_stuck(*saga)) continue;
    c.stuck++;
    if (stuck != nullptr && stuck->size() < stuck_limit) stuck->push_back(*saga);
  }
  return c;
}

Result<std::vector<Account>> transit_accounts(const PartitionStore& store) {
  std::string from = keys::account(AccountId(make_u128(kReservedAccountHi, 0)));
  std::vector<Account> out;
  Status bad;
  TALLY_ASSIGN_OR_RETURN(size_t n, store.scan(from, "B", false, 0,
                                              [&](std::string_view, std::string_view v) {
                                                auto a = decode_account(v);
                                                if (!a.ok()) {
                                                  bad = a.status();
                                                  return false;
                                                }
                                                if (is_transit_account(a->id)) out.push_back(*a);
                                                return true;
                                              }));
  (void)n;
  TALLY_RETURN_IF_ERROR(bad);
  return out;
}

std::vector<TransitFlow> transit_flows(const std::vector<Account>& accounts, uint32_t partition_count) {
  std::map<std::tuple<uint32_t, uint32_t, Ledger>, TransitFlow> flows;
  auto flow = [&](Partition from, Partition to, Ledger ledger) -> TransitFlow& {
    auto [it, fresh] = flows.try_emplace({from.value, to.value, ledger});
    TransitFlow& f = it->second;
    if (fresh) {
      f.from = from;
      f.to = to;
      f.ledger = ledger;
      f.source_transit = transit_account(from, to, ledger, partition_count);
      f.destination_transit = transit_account(to, from, ledger, partition_count);
    }
    return f;
  };
  for (const Account& a : accounts) {
    if (!is_transit_account(a.id)) continue;
    const TransitParts t = transit_parts(a.id, partition_count);
    // As a source towards the peer: reserved and completed.
    TransitFlow& out = flow(t.own, t.peer, t.ledger);
    out.reserved = a.balances.credits_pending;
    out.completed = a.balances.credits_posted;
    // As a destination from the peer: credited.
    flow(t.peer, t.own, t.ledger).credited = a.balances.debits_posted;
  }
  std::vector<TransitFlow> out;
  for (auto& [key, f] : flows) {
    if (f.reserved != 0 || f.completed != 0 || f.credited != 0) out.push_back(f);
  }
  return out;
}

}  // namespace tally
