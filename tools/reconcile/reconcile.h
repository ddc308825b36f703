// Reconcile: check a stored projection against the design's invariants,
// independently of the engine's apply code (docs/design.md "Tools").
//
// It opens the stores in DATA/partitions read-only and recomputes every
// account's balances from the recorded postings (the Transfer records and,
// for cross-partition transfers, their Saga records), then checks, per
// partition and across partitions:
//
//   balance_mismatch      stored balances differ from those recomputed
//   unknown_account       a created transfer names an account not stored
//   limit_exceeded        a debits_must_not_exceed_credits (or credits_...)
//                         account past its limit
//   posted_unbalanced     per ledger (per partition, and in total) the sum of
//   pending_unbalanced    debits differs from the sum of credits
//   missing_outcomes      an applied offset without outcomes ('O') or a
//                         quarantine record ('E')
//   outcome_count         an offset's outcomes differ in number from the
//                         commands of its log record (or the record does not
//                         decode although outcomes were stored)
//   offset_beyond_log     the store applied offsets the log does not hold
//   missing_transfer      an account's history names a transfer not stored
//   duplicate_posting     a transfer appears in an account's history more
//                         often than its kind allows
//   history_count         an account's history holds a different number of
//                         entries than its postings explain
//   history_mismatch      a `history` account's last entry differs from its
//                         stored balances
//   saga_mismatch         a saga's state and its destination's decision
//                         disagree (completed without a credit, compensated
//                         after a credit, a credit without a saga, amounts)
//   saga_credited_twice   one saga credited in more than one partition
//   transfer_id_in_two_partitions
//                         one transfer id (any outcome, not counting a saga's
//                         credit legs, which reuse its id in the destination)
//                         stored in more than one partition: a store written
//                         before transfer ids routed like account ids
//                         (docs/design.md "One transfer id, one partition");
//                         checked beside a running node too
//   index_mismatch        a list index ('I', 'X') lists other entries than
//                         the created accounts and transfers imply
//                         (docs/queries.md)
//   transit_imbalance     transit accounts of a partition pair do not net to
//                         zero apart from the sagas still in flight
//   store_unreadable      a record that does not decode
//
// Each discrepancy names the account, transfer, saga, ledger or offset,
// what was expected and what was found, and the first log offset involved
// where one is known (the record that created the account or transfer, or
// started the saga; found from the timestamps in the 'O' records).
//
// Beside a running `tally serve` the stores show what it has flushed: each
// partition a consistent prefix, but not all from the same moment. The
// checks within a partition still hold; those across partitions (transit,
// sagas, totals) are then skipped and a note says why.
//
// After a crash (no writer, stores flushed at different moments) the
// checks across partitions run up to a consistent cut: with a log, each
// store's unapplied tail is read, and a saga with a step applied in one
// store and its other step in the other store's tail is "in flight at the
// cut", not a mismatch (cross_check.cc); a note says so and counts them.
//
// Thread safety: reconcile() runs partitions on worker threads of its own.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/status.h"
#include "engine/log/log.h"

namespace tally::reconcile {

struct ReconcileOptions {
  std::string data_dir;     // the stores are DATA/partitions/<P>
  // The log the stores were built from, for the outcome counts; null: those
  // checks are skipped (a note says so). Must not be appended to meanwhile
  // past what the stores applied (a read-only snapshot is ideal).
  Log* log = nullptr;
  // Partition count when there is no log; 0 = the number of stores found.
  uint32_t partitions = 0;
  size_t jobs = 0;          // partitions checked at once; 0 = one per CPU
  size_t max_listed = 1000; // discrepancies listed at most (all are counted)
  // Called as each partition's checks finish, with how many have (of how
  // many), one call at a time (from the worker that finished); may be empty.
  std::function<void(uint32_t done, uint32_t total)> on_partition;
};

struct Discrepancy {
  std::string kind;                      // one of the names above
  std::optional<uint32_t> partition;     // none: a check over all partitions
  std::string subject;                   // account, transfer, saga, ledger, offset, transit
  std::string id;                        // its id, ledger number, offset or "S->D ledger L"
  std::string expected;
  std::string found;
  std::optional<uint64_t> first_offset;  // in `partition`
  std::string detail;                    // one sentence for people
  bool operator==(const Discrepancy&) const = default;
};

struct Stats {
  uint32_t partitions = 0;
  uint64_t accounts = 0;
  uint64_t transfers = 0;
  uint64_t history_entries = 0;
  uint64_t offsets = 0;  // applied records checked
  uint64_t sagas = 0;
  // Sagas with a step applied in one store and the other step in the other
  // store's log tail (past its applied offset): left out of the checks
  // across partitions, see "consistent cut" above.
  uint64_t sagas_in_flight_at_cut = 0;
  uint32_t stores_short_of_log = 0;  // stores whose applied offset is below their log's end
  double wall_seconds = 0;
  double cpu_seconds = 0;  // this process's CPU time (user + system)
};

struct Report {
  std::vector<Discrepancy> discrepancies;  // at most max_listed, in a stable order
  uint64_t total_discrepancies = 0;
  std::vector<std::string> notes;          // checks skipped, and why
  Stats stats;
  bool clean() const { return total_discrepancies == 0; }
};

// Checks the stores; an error only when they cannot be read at all
// (missing, not a projection, locked against reading).
Result<Report> reconcile(const ReconcileOptions& options);

// The report as text (one line per discrepancy, then notes and a summary)
// and as JSON ({"clean":..,"discrepancies":[..],"notes":[..],"stats":{..}}).
std::string render_text(const Report& report);
std::string render_json(const Report& report);

}  // namespace tally::reconcile
