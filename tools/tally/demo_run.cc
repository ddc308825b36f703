#include "tools/tally/demo_run.h"

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <thread>

#include "engine/core/digest.h"
#include "engine/core/partitioner.h"
#include "engine/log/embedded_log.h"
#include "tools/reconcile/reconcile.h"
#include "tools/replay/replay.h"
#include "tools/tally/cli.h"
#include "tools/tally/progress.h"

namespace tally::cli {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::string amount(uint64_t v) { return with_commas(v); }

long long as_ll(u128 v) { return static_cast<long long>(static_cast<uint64_t>(v)); }

// The upper 64 bits of an account id pick its partition; ids that share
// them (a "tenant") share a partition. The second tenant is the first one
// that lands elsewhere.
uint64_t other_tenant(uint64_t first, uint32_t partitions) {
  for (uint64_t hi = first + 1;; hi++) {
    if (partition_of_key(hi, partitions) != partition_of_key(first, partitions)) return hi;
  }
}

}  // namespace

DemoRun::DemoRun(std::string data_dir, uint32_t partitions)
    : data_dir_(std::move(data_dir)), partitions_(partitions) {
  const uint64_t t1 = 1, t2 = other_tenant(t1, partitions_);
  auto person = [&](std::string name, uint64_t hi, uint64_t n, std::string note) {
    const AccountId id(make_u128(hi, n));
    return Person{std::move(name), id, partition_of(id, partitions_), std::move(note)};
  };
  bank_ = person("bank", t1, 1, "the money's source: may go below zero");
  alice_ = person("alice", t1, 2, "may not spend more than she has");
  bob_ = person("bob", t1, 3, "may not spend more than he has");
  carol_ = person("carol", t2, 1, "may not spend more than she has; another partition");
  dave_ = person("dave", t2, 2, "never opened");
  dave_.opened = false;
}

DemoRun::~DemoRun() = default;

void DemoRun::start_node() {
  std::filesystem::create_directories(data_dir_);
  auto log = check(open_embedded_log({.dir = data_dir_ + "/log", .partitions = partitions_}),
                   "opening the embedded log");
  node_ = check(Node::open(std::move(log), {.data_dir = data_dir_}), "opening the projection");
  check(node_->start(), "starting the node");
}

std::string DemoRun::submit(const Command& command) {
  auto placed = node_->append(std::span(&command, 1));
  if (!placed.ok()) return "append failed: " + placed.status().to_string();
  auto outcome = node_->outcome(placed->at(0), 10s);
  if (!outcome.ok()) return "no outcome: " + outcome.status().to_string();
  return std::string(outcome_name(*outcome));
}

Balances DemoRun::balances(const Person& p) {
  auto a = node_->account(p.id);
  return a.ok() && a->has_value() ? (*a)->balances : Balances{};
}

std::chrono::milliseconds DemoRun::wait_for(const std::function<bool()>& done,
                                            std::chrono::milliseconds timeout) {
  const auto start = Clock::now();
  while (!done()) {
    if (Clock::now() - start > timeout) return std::chrono::milliseconds(-1);
    std::this_thread::sleep_for(10ms);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

void DemoRun::verdict(bool ok, const std::string& text, const std::string& failure) {
  step_++;
  if (!ok) failed_++;
  std::string lines = text;  // continuation lines line up under the text
  for (size_t at = lines.find('\n'); at != std::string::npos; at = lines.find('\n', at + 1)) {
    lines.insert(at + 1, 11, ' ');
  }
  std::printf("  %-4s %2d. %s\n", ok ? "ok" : "FAIL", step_, lines.c_str());
  if (!ok && !failure.empty()) std::printf("           but: %s\n", failure.c_str());
}

CreateTransfer DemoRun::transfer(uint64_t n, const Person& from, const Person& to, uint64_t amount,
                                 uint16_t flags) {
  CreateTransfer t;
  t.id = transfer_id(from, n);
  t.debit_account_id = from.id;
  t.credit_account_id = to.id;
  t.amount = Amount(amount);
  t.ledger = 1;
  t.code = 1;
  t.flags = flags;
  return t;
}

void DemoRun::introduce() {
  std::printf("Accounts on ledger 1 (think cents). An account lives in the partition its id's upper\n"
              "64 bits hash to, so bank, alice and bob share one and carol is elsewhere:\n");
  for (const Person* p : {&bank_, &alice_, &bob_, &carol_, &dave_}) {
    std::printf("  %-6s id %-22s partition %u  %s\n", p->name.c_str(), p->id.str().c_str(),
                p->partition.value, p->note.c_str());
  }
  std::printf("\nSteps (each appends commands to the log, waits for the pipeline to apply them\n"
              "and checks the outcome):\n");
}

void DemoRun::step_open_accounts() {
  using namespace account_flags;
  std::vector<Command> opens;
  for (const Person* p : {&bank_, &alice_, &bob_, &carol_}) {
    const uint16_t flags = p == &bank_ ? 0 : debits_must_not_exceed_credits | (p == &alice_ ? history : 0);
    opens.push_back(CreateAccount{p->id, 0, 0, 0, 1, 1, flags, 0});
  }
  std::string outcomes;
  bool ok = true;
  for (const Command& c : opens) {
    const std::string o = submit(c);
    ok = ok && o == "created";
    outcomes += (outcomes.empty() ? "" : ", ") + o;
  }
  verdict(ok, "open bank, alice, bob (partition " + std::to_string(alice_.partition.value) + ") and carol (partition " +
                std::to_string(carol_.partition.value) + "): created x4",
        outcomes);
}

void DemoRun::step_fund() {
  const std::string o = submit(transfer(1, bank_, alice_, 1000));
  verdict(o == "created" && balances(alice_).credits_posted == 1000,
        "bank -> alice 1,000: created; alice has 1,000", o);
}

void DemoRun::step_overdraft() {
  const Balances before = balances(alice_);
  const std::string o = submit(transfer(2, alice_, bob_, 5000));
  verdict(o == "exceeds_credits" && balances(alice_) == before,
        "alice -> bob 5,000, more than she has: rejected (exceeds_credits), nothing moved",
        "outcome " + o);
}

void DemoRun::step_pending_posted() {
  const std::string reserved = submit(transfer(3, alice_, bob_, 300, transfer_flags::pending));
  const Balances held = balances(alice_);
  CreateTransfer post = transfer(4, alice_, bob_, 300, transfer_flags::post_pending);
  post.pending_id = transfer_id(alice_, 3);
  const std::string posted = submit(post);
  const Balances after = balances(alice_);
  verdict(reserved == "created" && posted == "created" && held.debits_pending == 300 &&
            after.debits_pending == 0 && after.debits_posted == 300 && balances(bob_).credits_posted == 300,
        "alice -> bob 300 pending (reserved, 300 held), then posted: bob has 300",
        "outcomes " + reserved + ", " + posted + "; alice pending " + amount(as_ll(held.debits_pending)) +
            " then " + amount(as_ll(after.debits_pending)));
}

void DemoRun::step_pending_expires() {
  CreateTransfer t = transfer(5, alice_, bob_, 200, transfer_flags::pending);
  t.timeout_seconds = 1;
  const std::string o = submit(t);
  const bool held = balances(alice_).debits_pending == 200;
  const auto took = wait_for([&] {
    auto got = node_->transfer(transfer_id(alice_, 5));
    return got.ok() && got->has_value() && (*got)->state == PendingState::expired;
  }, 10s);
  const bool expired = took.count() >= 0;
  verdict(o == "created" && held && expired && balances(alice_).debits_pending == 0,
        "alice -> bob 200 pending, 1 s timeout: the scheduler expired it after " +
            std::to_string(took.count() / 1000.0).substr(0, 3) + " s; the 200 is free again",
        "outcome " + o + (expired ? "" : "; not expired within 10 s"));
}

void DemoRun::step_saga_completes() {
  const std::string o = submit(transfer(6, alice_, carol_, 250));
  Saga saga;
  const auto took = wait_for([&] {
    auto got = node_->store_ref(alice_.partition)->saga(transfer_id(alice_, 6));
    if (!got.ok() || !got->has_value() || (*got)->state == SagaState::in_flight) return false;
    saga = **got;
    return true;
  }, 10s);
  const bool done = took.count() >= 0 && saga.state == SagaState::completed;
  verdict(o == "created" && done && balances(carol_).credits_posted == 250 &&
            balances(alice_).debits_posted == 550,
        "alice -> carol 250, partition " + std::to_string(alice_.partition.value) + " -> " +
            std::to_string(carol_.partition.value) + ": a saga reserved it here, credited it there,\n"
            "then posted it here: completed",
        "outcome " + o + (done ? "" : "; the saga did not complete within 10 s"));
}

void DemoRun::step_saga_compensated() {
  const Balances before = balances(alice_);
  const std::string o = submit(transfer(7, alice_, dave_, 100));
  Saga saga;
  const auto took = wait_for([&] {
    auto got = node_->store_ref(alice_.partition)->saga(transfer_id(alice_, 7));
    if (!got.ok() || !got->has_value() || (*got)->state == SagaState::in_flight) return false;
    saga = **got;
    return true;
  }, 10s);
  const bool compensated = took.count() >= 0 && saga.state == SagaState::compensated &&
                           saga.result == Outcome::credit_account_not_found;
  verdict(o == "created" && compensated && balances(alice_) == before,
        "alice -> dave 100: partition " + std::to_string(dave_.partition.value) +
            " has no dave (credit_account_not_found), so the saga\nvoided the reservation: compensated; "
            "alice keeps her 100",
        "outcome " + o + "; saga " + (took.count() < 0 ? "still in flight" : std::string(outcome_name(saga.result))));
}

void DemoRun::print_balances() {
  std::printf("\nBalances (posted; nothing is left pending):\n");
  std::printf("  %-7s %9s %9s %9s %9s\n", "account", "partition", "debits", "credits", "balance");
  for (const Person* p : {&bank_, &alice_, &bob_, &carol_}) {
    const Balances b = balances(*p);
    const long long net = as_ll(b.credits_posted) - as_ll(b.debits_posted);
    std::printf("  %-7s %9u %9s %9s %9s%s\n", p->name.c_str(), p->partition.value,
                amount(as_ll(b.debits_posted)).c_str(), amount(as_ll(b.credits_posted)).c_str(),
                ((net < 0 ? "-" : "") + amount(static_cast<uint64_t>(net < 0 ? -net : net))).c_str(),
                b.debits_pending != 0 || b.credits_pending != 0 ? "  (pending left!)" : "");
  }
}

void DemoRun::stop_node_and_reconcile() {
  node_->stop();  // the pipelines commit and flush; nothing appends any more
  node_.reset();
  std::printf("\nReconciliation (tally reconcile: every balance recomputed from the recorded postings,\n"
              "independently of the engine; per ledger debits = credits; limits; outcomes for every\n"
              "offset; the saga's transit accounts net to zero):\n");
  auto log = check(open_embedded_log({.dir = data_dir_ + "/log", .read_only = true}), "opening the log");
  const reconcile::Report report =
      check(reconcile::reconcile({.data_dir = data_dir_, .log = log.get(), .jobs = 2}), "reconciling");
  std::istringstream text(reconcile::render_text(report));
  for (std::string line; std::getline(text, line);) std::printf("  %s\n", line.c_str());
  verdict(report.clean(), "the books reconcile",
        std::to_string(report.total_discrepancies) + " discrepancies");
}

void DemoRun::check_digests() {
  std::printf("\nPartition digests (a running hash of what each partition applied, kept with its offset):\n");
  const auto metas = check(replay::read_live_metas(data_dir_, partitions_), "reading the stores");
  std::string idle;
  replay::ReplayOptions options;
  options.into_dir = data_dir_ + "/replay";
  options.jobs = 2;
  for (uint32_t p = 0; p < partitions_; p++) {
    if (!metas[p] || metas[p]->next_offset.value == 0) {
      idle += " " + std::to_string(p);
      continue;
    }
    options.checkpoints[p] = metas[p]->next_offset;
    std::printf("  partition %u: offset %-4llu digest %s\n", p,
                static_cast<unsigned long long>(metas[p]->next_offset.value), Digest::hex(metas[p]->digest).c_str());
  }
  if (!idle.empty()) std::printf("  partitions%s: nothing applied\n", idle.c_str());
  auto log = check(open_embedded_log({.dir = data_dir_ + "/log", .read_only = true}), "opening the log");
  const replay::Report report = check(replay::replay(*log, options), "replaying");
  size_t same = 0, compared = 0;
  for (const replay::PartitionResult& r : report.partitions) {
    if (!r.checkpoint) continue;
    compared++;
    same += r.checkpoint->reached && r.checkpoint->digest == metas[r.partition.value]->digest ? 1 : 0;
  }
  verdict(compared > 0 && same == compared,
        "tally replay rebuilt the " + std::to_string(compared) +
            " partitions from the log into a fresh store: same digests (" + std::to_string(same) + " of " +
            std::to_string(compared) + ")",
        std::to_string(compared - same) + " differ");
}

int DemoRun::run() {
  start_node();
  introduce();
  step_open_accounts();
  step_fund();
  step_overdraft();
  step_pending_posted();
  step_pending_expires();
  step_saga_completes();
  step_saga_compensated();
  print_balances();
  stop_node_and_reconcile();
  check_digests();
  return failed_;
}

}  // namespace tally::cli
