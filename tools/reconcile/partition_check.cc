// One partition's store: opening it, the records the other checks start
// from (offsets, accounts, sagas, legs), and the order of the checks.
#include <algorithm>
#include <set>

#include "engine/core/bytes.h"
#include "recovery/transit.h"
#include "tools/reconcile/checker.h"

namespace tally::reconcile::detail {
namespace {

std::string hex_key(std::string_view key) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : key.substr(0, 32)) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace

PartitionChecker::PartitionChecker(Partition partition, uint32_t partition_count, Log* log,
                                   Sink& sink)
    : partition_(partition), partition_count_(partition_count), log_(log), sink_(sink) {}

void PartitionChecker::report(Discrepancy d) {
  d.partition = partition_.value;
  sink_.add(std::move(d));
}

std::optional<uint64_t> PartitionChecker::offset_at(Timestamp ts) const {
  return facts_->offsets.offset_of(ts);
}

void PartitionChecker::unreadable(std::string_view key, const Status& why) {
  report({.kind = "store_unreadable",
          .subject = "key",
          .id = hex_key(key),
          .expected = "a record that decodes",
          .found = why.message(),
          .detail = "the stored record cannot be read; the checks skip it"});
}

Status PartitionChecker::run(const std::string& store_dir, PartitionFacts& facts) {
  facts_ = &facts;
  facts.partition = partition_;
  TALLY_ASSIGN_OR_RETURN(store_, PartitionStore::open({.dir = store_dir,
                                                       .partition = partition_,
                                                       .partition_count = partition_count_,
                                                       .create_if_missing = false,
                                                       .read_only = true}));
  TALLY_ASSIGN_OR_RETURN(facts.meta, store_->meta());
  TALLY_RETURN_IF_ERROR(load_offsets());
  TALLY_RETURN_IF_ERROR(load_accounts());
  TALLY_RETURN_IF_ERROR(load_sagas());
  TALLY_RETURN_IF_ERROR(scan_transfers());
  TALLY_RETURN_IF_ERROR(scan_history());
  TALLY_RETURN_IF_ERROR(check_indexes());
  TALLY_RETURN_IF_ERROR(load_legs());
  check_accounts();
  return check_log();
}

Status PartitionChecker::load_offsets() {
  TALLY_RETURN_IF_ERROR(store_->scan("O", "P", false, 0, [&](std::string_view k, std::string_view v) {
    if (k.size() != 9) return true;
    const uint64_t offset = get_be64(k.data() + 1);
    auto o = decode_outcomes(v);
    if (!o.ok()) {
      unreadable(k, o.status());
      return true;
    }
    outcome_counts_.emplace_back(offset, static_cast<uint32_t>(o->outcomes.size()));
    if (!o->outcomes.empty()) facts_->offsets.add(Offset{offset}, o->first_timestamp);
    return true;
  }).status());
  TALLY_RETURN_IF_ERROR(store_->scan("E", "F", false, 0, [&](std::string_view k, std::string_view) {
    if (k.size() == 9) quarantined_.push_back(get_be64(k.data() + 1));
    return true;
  }).status());
  // Every applied offset has its outcomes or its quarantine record.
  const uint64_t end = facts_->meta.next_offset.value;
  size_t o = 0, e = 0;
  for (uint64_t offset = 0; offset < end; offset++) {
    while (o < outcome_counts_.size() && outcome_counts_[o].first < offset) o++;
    while (e < quarantined_.size() && quarantined_[e] < offset) e++;
    const bool has_o = o < outcome_counts_.size() && outcome_counts_[o].first == offset;
    const bool has_e = e < quarantined_.size() && quarantined_[e] == offset;
    if (has_o || has_e) continue;
    report({.kind = "missing_outcomes",
            .subject = "offset",
            .id = std::to_string(offset),
            .expected = "outcomes ('O') or a quarantine record ('E')",
            .found = "neither",
            .first_offset = offset,
            .detail = "an applied record has no outcomes stored"});
  }
  facts_->stats.offsets = end;
  return Status::Ok();
}

Status PartitionChecker::load_accounts() {
  return store_->scan("A", "B", false, 0, [&](std::string_view k, std::string_view v) {
    auto a = decode_account(v);
    if (!a.ok()) {
      unreadable(k, a.status());
      return true;
    }
    facts_->stats.accounts++;
    expect_index(kAccountIndexTag, *a);
    if (auto peer = transit_peer(a->id, partition_, a->ledger, partition_count_)) {
      facts_->transits.push_back({*peer, a->ledger, a->balances});
    }
    accounts_[a->id].stored = *a;
    return true;
  }).status();
}

Status PartitionChecker::load_sagas() {
  return store_->scan("S", "T", false, 0, [&](std::string_view k, std::string_view v) {
    auto s = decode_saga(v);
    if (!s.ok()) {
      unreadable(k, s.status());
      return true;
    }
    add_saga(*s);
    return true;
  }).status();
}

PartitionChecker::SagaIndex::iterator PartitionChecker::add_saga(const Saga& s) {
  facts_->stats.sagas++;
  facts_->sagas.push_back({.id = s.id, .destination = s.destination, .state = s.state, .started = s.started});
  return saga_index_.insert_or_assign(s.id, facts_->sagas.size() - 1).first;
}

Status PartitionChecker::load_legs() {
  TALLY_RETURN_IF_ERROR(store_->scan("L", "M", false, 0, [&](std::string_view k, std::string_view v) {
    auto l = decode_leg(v);
    if (!l.ok()) {
      unreadable(k, l.status());
      return true;
    }
    facts_->legs.push_back({l->source, l->saga_id, l->decision, l->timestamp});
    return true;
  }).status());
  // A credited leg has no 'L' key (stores written since 2026-12-07): its
  // credit transfer, which scan_transfers listed, stands for it.
  std::set<std::pair<uint32_t, TransferId>> stored;
  for (const LegFacts& l : facts_->legs) stored.insert({l.source.value, l.id});
  for (const CreditFacts& c : facts_->credits) {
    if (c.source && stored.count({c.source->value, c.id}) == 0) {
      facts_->legs.push_back({*c.source, c.id, LegDecision::credited, c.timestamp});
    }
  }
  return Status::Ok();
}

}  // namespace tally::reconcile::detail
