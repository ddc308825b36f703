// A reference model of the ledger's rules for the randomized test: a second,
// deliberately plain implementation written from docs/outcomes.md, sharing
// no code with projections/ledger*.cc. Ordered maps instead of hash maps, a
// copy-on-write overlay for linked chains instead of undo scopes, one
// function per command kind.
//
// Cross-partition transfers go to a model of the test's stand-in saga
// extension: it records the transfer as a saga reservation (pending, no
// balances moved) and answers saga commands with saga_compensated.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "engine/core/command.h"
#include "projections/outcome.h"

namespace ledger_model {

using tally::u128;
using tally::Outcome;

struct MAccount {
  u128 id = 0;
  u128 ud128 = 0;
  uint64_t ud64 = 0;
  uint32_t ud32 = 0;
  uint32_t ledger = 0;
  uint16_t code = 0;
  uint16_t flags = 0;
  u128 dp = 0, dP = 0, cp = 0, cP = 0;  // debits pending/posted, credits pending/posted
  uint64_t ts = 0;
  Outcome outcome = Outcome::created;
};

enum class St : uint8_t { none, pending, posted, voided, expired };

struct MTransfer {
  u128 id = 0, dr = 0, cr = 0, amount = 0, pending_id = 0, ud128 = 0;
  uint64_t ud64 = 0;
  uint32_t ud32 = 0, timeout = 0, ledger = 0;
  uint16_t code = 0, flags = 0;
  uint64_t ts = 0;
  Outcome outcome = Outcome::created;
  u128 req_amount = 0, req_cr = 0;
  uint32_t req_ledger = 0;
  uint16_t req_code = 0;
  St st = St::none;
  uint64_t deadline = 0;
  bool saga = false;
};

struct MHistory {
  u128 account = 0;
  uint64_t ts = 0;
  u128 transfer = 0;
  bool has = false;
  u128 dp = 0, dP = 0, cp = 0, cP = 0;
};

struct MTimer {
  bool set = false;
  uint64_t deadline = 0;
  u128 id = 0;
  u128 routing = 0;
};

class Model {
 public:
  // Partition `self` of `partitions` (ownership by tally::partition_of).
  Model(uint32_t self, uint32_t partitions) : self_(self), partitions_(partitions) {}

  // Applies one record; returns one outcome per command and fills
  // `timestamps`. history() and timers() then hold what the record added.
  std::vector<Outcome> apply(const std::vector<tally::Command>& record, uint64_t append_ns,
                             std::vector<uint64_t>& timestamps);

  std::optional<MAccount> account(u128 id) const;
  std::optional<MTransfer> transfer(u128 id) const;
  const std::vector<MHistory>& history() const { return history_; }
  const std::vector<MTimer>& timers() const { return timers_; }
  bool owns(u128 account) const;

 private:
  struct Overlay {
    std::map<u128, MAccount> accounts;
    std::map<u128, MTransfer> transfers;
    size_t history = 0, timers = 0;  // sizes when the chain began
  };

  Outcome one(const tally::Command& c, uint64_t ts, bool in_chain);
  Outcome create_account(const tally::CreateAccount& c, uint64_t ts);
  Outcome create_transfer(const tally::CreateTransfer& c, uint64_t ts, bool in_chain);
  Outcome new_transfer(const tally::CreateTransfer& c, uint64_t ts, bool in_chain, bool& record);
  Outcome resolve(const tally::CreateTransfer& c, uint64_t ts);
  Outcome expire(const tally::ExpirePending& e, uint64_t ts);
  Outcome existing_transfer(const tally::CreateTransfer& c, const MTransfer& e) const;
  void release(MTransfer p, u128 posted, St to, uint64_t ts, u128 cause);
  void note_history(u128 account, uint64_t ts, u128 transfer);
  void save(const MAccount& a);
  void save(const MTransfer& t);

  uint32_t self_, partitions_;
  uint64_t last_ns_ = 0;
  std::map<u128, MAccount> accounts_;
  std::map<u128, MTransfer> transfers_;
  std::optional<Overlay> overlay_;
  std::vector<MHistory> history_;
  std::vector<MTimer> timers_;
};

}  // namespace ledger_model
