#include "tests/unit/ledger_table.h"

#include <doctest/doctest.h>

namespace ledger_test {
namespace {

// Outcomes never recorded under the command's id.
bool unrecorded(Outcome o) {
  switch (o) {
    case Outcome::id_must_not_be_zero:
    case Outcome::id_must_not_be_int_max:
    case Outcome::id_in_reserved_range:
    case Outcome::wrong_partition:
    case Outcome::id_must_route_to_debit_account_partition:
    case Outcome::linked_event_failed:
    case Outcome::linked_event_chain_open:
    case Outcome::linked_chain_spans_partitions:
      return true;
    default:
      return false;
  }
}

bool setup_ok(Outcome o) { return outcome_ok(o) || o == Outcome::expired; }

// For a single create command with a usable id: the record under its id
// exists exactly when the outcome is recorded, and holds that outcome.
void check_recorded(Books& b, const Command& c, Outcome o) {
  if (o == Outcome::exists || (o >= Outcome::exists_with_different_flags &&
                               o <= Outcome::exists_with_different_timeout)) {
    return;  // the id had a record before
  }
  if (const auto* a = std::get_if<CreateAccount>(&c)) {
    const Account* r = b.state().find_account(a->id);
    if (unrecorded(o)) {
      CHECK(r == nullptr);
    } else {
      REQUIRE(r != nullptr);
      CHECK(outcome_name(r->outcome) == outcome_name(o));
    }
  } else if (const auto* t = std::get_if<CreateTransfer>(&c)) {
    const Transfer* r = b.state().find_transfer(t->id);
    if (unrecorded(o)) {
      CHECK(r == nullptr);
    } else {
      REQUIRE(r != nullptr);
      CHECK(outcome_name(r->outcome) == outcome_name(o));
    }
  }
}

Outcome outcome_on_repeat(Outcome first) {
  if (first == Outcome::created) return Outcome::exists;
  if (first == Outcome::expired) return Outcome::pending_transfer_expired;
  return first;
}

}  // namespace

void run_row(const Row& row) {
  INFO("row: ", std::string(row.name));
  Books b(row.partitions);
  std::string setup_outcomes;
  uint64_t t = kStart;
  for (const Record& r : row.setup) {
    const std::vector<Outcome> got = b.apply(r, t);
    t += 10 * kSecond;
    for (Outcome o : got) {
      if (row.setup_outcomes.empty()) CHECK_MESSAGE(setup_ok(o), "setup got ", outcome_name(o));
    }
    if (!setup_outcomes.empty()) setup_outcomes += " ";
    setup_outcomes += render(got);
  }
  if (!row.setup_outcomes.empty()) CHECK(setup_outcomes == row.setup_outcomes);
  const uint64_t at = row.at_ns != 0 ? row.at_ns : b.clock() + row.after_s * kSecond;
  const std::vector<Outcome> got = b.apply(row.record, at);
  CHECK(render(got) == row.outcomes);
  CHECK(b.accounts() == row.books);
  CHECK(b.violations() == "");
  if (row.record.size() != 1) return;

  check_recorded(b, row.record[0], got[0]);
  // Again, at (almost) the same time: idempotent, and nothing changes.
  const std::string books = b.accounts();
  CHECK(outcome_name(b.one(row.record[0], b.clock())) == outcome_name(outcome_on_repeat(got[0])));
  CHECK(b.accounts() == books);
}

}  // namespace ledger_test
