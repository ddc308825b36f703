// The checks across partitions: per-ledger totals, each saga against its
// destination's decision, the transit accounts of each partition pair, and
// transfer ids stored in more than one partition.
//
// The consistent cut (issue 16 item 5). Each store is a consistent prefix
// of its own partition's log, but after a kill -9 the prefixes end at
// different moments, so a saga may have a step applied in one store whose
// other step is in the other store's log tail (past its applied offset,
// not applied there yet):
//   - the source completed it (it applied the destination's reply) but the
//     destination's store has no decision, and the destination's tail
//     holds the credit leg (or the cancel) from this source;
//   - the destination credited it but the source's store has no saga, and
//     the source's tail holds the create_transfer that starts it.
// Such a saga is "in flight at the cut": the cut that puts every store at
// its applied offset is not consistent for it, and it is left out of the
// saga checks and its amount out of the transit pair's sums, and counted.
// Anything else that disagrees, including a missing step that is not in
// the log tail, is still a mismatch. Without a log (no tails), nothing is
// excused.
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <tuple>

#include "engine/core/partitioner.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {
namespace {

using SagaKey = std::pair<uint32_t, TransferId>;                 // (source, saga id)
using PairKey = std::tuple<uint32_t, uint32_t, Ledger>;          // (source, destination, ledger)

std::string pair_name(const PairKey& k) {
  return std::to_string(std::get<0>(k)) + "->" + std::to_string(std::get<1>(k)) + " ledger " +
         std::to_string(std::get<2>(k));
}

void totals(const std::vector<PartitionFacts>& parts, Sink& sink) {
  std::map<Ledger, LedgerSums> all;
  for (const PartitionFacts& p : parts) {
    for (const auto& [ledger, s] : p.sums) all[ledger].add(s);
  }
  for (const auto& [ledger, s] : all) {
    if (!(s.debits_posted == s.credits_posted)) {
      sink.add({.kind = "posted_unbalanced", .subject = "ledger", .id = std::to_string(ledger),
                .expected = "credits posted " + s.debits_posted.str() + " (= debits posted)",
                .found = "credits posted " + s.credits_posted.str(),
                .detail = "over all partitions, posted debits and credits of the ledger differ"});
    }
    if (!(s.debits_pending == s.credits_pending)) {
      sink.add({.kind = "pending_unbalanced", .subject = "ledger", .id = std::to_string(ledger),
                .expected = "credits pending " + s.debits_pending.str() + " (= debits pending)",
                .found = "credits pending " + s.credits_pending.str(),
                .detail = "over all partitions, pending debits and credits of the ledger differ"});
    }
  }
}

struct AtCut {
  std::set<SagaKey> sagas;  // in flight at the cut
  std::map<PairKey, WideSum> source_ahead;       // completed at the source, not yet credited
  std::map<PairKey, WideSum> destination_ahead;  // credited, not yet started at the source
};

// Whether `tail` (a partition's unapplied log) holds the leg or cancel of
// saga `key` (source, id).
bool leg_in_tail(const std::vector<PartitionFacts>& parts, uint32_t destination, const SagaKey& key) {
  if (destination >= parts.size()) return false;
  const LogTail& t = parts[destination].tail;
  return t.read && t.legs.count({key.first, key.second}) > 0;
}

bool start_in_tail(const std::vector<PartitionFacts>& parts, const SagaKey& key) {
  if (key.first >= parts.size()) return false;
  const LogTail& t = parts[key.first].tail;
  return t.read && t.transfers.count(key.second) > 0;
}

struct Destination {
  std::map<SagaKey, const LegFacts*> legs;       // keyed by (source, id)
  std::map<SagaKey, const CreditFacts*> credits;
};

void saga_mismatch(Sink& sink, const PartitionFacts& p, TransferId id, Timestamp when,
                   std::string expected, std::string found, std::string detail) {
  sink.add({.kind = "saga_mismatch", .partition = p.partition.value, .subject = "saga",
            .id = id.str(), .expected = std::move(expected), .found = std::move(found),
            .first_offset = p.offsets.offset_of(when), .detail = std::move(detail)});
}

void check_source(const std::vector<PartitionFacts>& parts, const PartitionFacts& p, const SagaFacts& s,
                  const std::vector<Destination>& dest, AtCut& cut, Sink& sink) {
  if (!s.has_reservation) {
    saga_mismatch(sink, p, s.id, s.started, "a saga_source transfer", "none",
                  "a saga without its reservation");
  }
  if (s.destination.value >= dest.size()) return;
  const Destination& d = dest[s.destination.value];
  const SagaKey key{p.partition.value, s.id};
  auto leg = d.legs.find(key);
  const bool credited = leg != d.legs.end() && leg->second->decision == LegDecision::credited;
  const std::string where = " in partition " + std::to_string(s.destination.value);
  if (s.state == SagaState::completed && leg == d.legs.end() &&
      leg_in_tail(parts, s.destination.value, key)) {
    cut.sagas.insert(key);
    if (s.has_reservation) {
      cut.source_ahead[{p.partition.value, s.destination.value, s.ledger}].add(s.amount.value());
    }
    return;
  }
  if (s.state == SagaState::completed && !credited) {
    saga_mismatch(sink, p, s.id, s.started, "a credited leg" + where,
                  leg == d.legs.end() ? "no decision" : "not credited",
                  "a completed saga whose destination did not credit");
  }
  if (s.state == SagaState::compensated && credited) {
    saga_mismatch(sink, p, s.id, s.started, "no credit" + where, "credited",
                  "a compensated saga whose destination credited (a void after a credit)");
  }
  auto credit = d.credits.find(key);
  if (credit != d.credits.end() && s.has_reservation && credit->second->amount != s.amount) {
    saga_mismatch(sink, p, s.id, s.started, "credit of " + s.amount.str(),
                  credit->second->amount.str(), "the destination credited another amount");
  }
}

void check_destination(const std::vector<PartitionFacts>& parts, const PartitionFacts& p,
                       const Destination& d, const std::map<SagaKey, const SagaFacts*>& sagas,
                       AtCut& cut, Sink& sink) {
  for (const auto& [key, leg] : d.legs) {
    if (!sagas.count(key) && start_in_tail(parts, key)) {
      cut.sagas.insert(key);
      auto credit = d.credits.find(key);
      if (leg->decision == LegDecision::credited && credit != d.credits.end()) {
        cut.destination_ahead[{key.first, p.partition.value, credit->second->ledger}].add(
            credit->second->amount.value());
      }
      continue;
    }
    if (leg->decision != LegDecision::credited) continue;
    if (!sagas.count(key)) {
      saga_mismatch(sink, p, key.second, leg->timestamp,
                    "a saga in partition " + std::to_string(key.first), "none",
                    "a credit for a saga its source does not know");
    }
    if (!d.credits.count(key)) {
      saga_mismatch(sink, p, key.second, leg->timestamp, "a saga_credit transfer", "none",
                    "a leg decided credited without its credit transfer");
    }
  }
  for (const auto& [key, credit] : d.credits) {
    auto leg = d.legs.find(key);
    if (leg == d.legs.end() || leg->second->decision != LegDecision::credited) {
      saga_mismatch(sink, p, key.second, credit->timestamp, "a leg decided credited",
                    leg == d.legs.end() ? "no decision" : "not credited",
                    "a credit transfer without the decision that made it");
    }
  }
}

void sagas(const std::vector<PartitionFacts>& parts, AtCut& cut, Sink& sink) {
  std::vector<Destination> dest(parts.size());
  std::map<SagaKey, std::vector<uint32_t>> credited_in;
  for (const PartitionFacts& p : parts) {
    Destination& d = dest[p.partition.value];
    for (const LegFacts& l : p.legs) d.legs[{l.source.value, l.id}] = &l;
    for (const CreditFacts& c : p.credits) {
      const uint32_t source = c.source ? c.source->value : ~0u;
      d.credits[{source, c.id}] = &c;
      credited_in[{source, c.id}].push_back(p.partition.value);
    }
  }
  std::map<SagaKey, const SagaFacts*> by_key;
  for (const PartitionFacts& p : parts) {
    for (const SagaFacts& s : p.sagas) {
      by_key[{p.partition.value, s.id}] = &s;
      check_source(parts, p, s, dest, cut, sink);
    }
  }
  for (const PartitionFacts& p : parts) {
    check_destination(parts, p, dest[p.partition.value], by_key, cut, sink);
  }
  for (const auto& [key, where] : credited_in) {
    if (where.size() < 2) continue;
    std::string list;
    for (uint32_t w : where) list += (list.empty() ? "" : ", ") + std::to_string(w);
    sink.add({.kind = "saga_credited_twice", .subject = "saga", .id = key.second.str(),
              .expected = "one credit", .found = "credits in partitions " + list,
              .detail = "one saga was credited in more than one partition"});
  }
}

void transit(const std::vector<PartitionFacts>& parts, const AtCut& cut, Sink& sink) {
  std::map<PairKey, WideSum> completed, credited, in_flight_credited;
  std::map<SagaKey, bool> leg_credited;
  for (const PartitionFacts& p : parts) {
    for (const LegFacts& l : p.legs) {
      leg_credited[{l.source.value, l.id}] = l.decision == LegDecision::credited;
    }
  }
  for (const PartitionFacts& p : parts) {
    for (const TransitFacts& t : p.transits) {
      completed[{p.partition.value, t.peer.value, t.ledger}].add(t.balances.credits_posted);
      credited[{t.peer.value, p.partition.value, t.ledger}].add(t.balances.debits_posted);
    }
    for (const SagaFacts& s : p.sagas) {
      if (s.state != SagaState::in_flight || !s.has_reservation) continue;
      auto l = leg_credited.find({p.partition.value, s.id});
      if (l == leg_credited.end() || !l->second) continue;
      in_flight_credited[{p.partition.value, s.destination.value, s.ledger}].add(s.amount.value());
    }
  }
  std::map<PairKey, WideSum> source_ahead = cut.source_ahead, destination_ahead = cut.destination_ahead;
  std::map<PairKey, bool> keys;
  for (const auto* m : {&completed, &credited, &in_flight_credited, &source_ahead, &destination_ahead}) {
    for (const auto& [k, v] : *m) keys[k] = true;
  }
  for (const auto& [k, unused] : keys) {
    WideSum expected = completed[k];
    expected.add(in_flight_credited[k]);
    expected.add(destination_ahead[k]);
    WideSum found = credited[k];
    found.add(source_ahead[k]);
    if (expected == found) continue;
    sink.add({.kind = "transit_imbalance", .subject = "transit", .id = pair_name(k),
              .expected = "credited at the destination " + expected.str() +
                          " (completed at the source + credited sagas still in flight)",
              .found = found.str(),
              .detail = "the pair's transit accounts do not net to zero"});
  }
}

void id_in_two(Sink& sink, TransferId id, const std::vector<uint32_t>& where, uint32_t partition_count) {
  std::string list;
  for (uint32_t w : where) list += (list.empty() ? "" : ", ") + std::to_string(w);
  const uint32_t owner = partition_of_key(id.hi(), partition_count).value;
  sink.add({.kind = "transfer_id_in_two_partitions", .subject = "transfer", .id = id.str(),
            .expected = "one partition (" + std::to_string(owner) + ", where the id routes)",
            .found = "partitions " + list,
            .detail = "one transfer id recorded in more than one partition (a store written "
                      "before transfer ids had to route with their debit account)"});
}

}  // namespace

void transfer_ids_across_partitions(const std::vector<PartitionFacts>& parts, uint32_t partition_count,
                                    Sink& sink) {
  // (id, index into parts, position in its producer_ids), smallest id first,
  // then lowest partition.
  using Head = std::tuple<TransferId, size_t, size_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heads;
  for (size_t i = 0; i < parts.size(); i++) {
    if (!parts[i].producer_ids.empty()) heads.emplace(parts[i].producer_ids[0], i, 0);
  }
  std::vector<uint32_t> where;
  while (!heads.empty()) {
    const TransferId id = std::get<0>(heads.top());
    where.clear();
    while (!heads.empty() && std::get<0>(heads.top()) == id) {
      auto [unused, i, pos] = heads.top();
      heads.pop();
      if (where.empty() || where.back() != parts[i].partition.value) where.push_back(parts[i].partition.value);
      if (pos + 1 < parts[i].producer_ids.size()) heads.emplace(parts[i].producer_ids[pos + 1], i, pos + 1);
    }
    if (where.size() > 1) id_in_two(sink, id, where, partition_count);
  }
}

uint64_t cross_check(const std::vector<PartitionFacts>& parts, Sink& sink) {
  totals(parts, sink);
  AtCut cut;
  sagas(parts, cut, sink);
  transit(parts, cut, sink);
  return cut.sagas.size();
}

}  // namespace tally::reconcile::detail
