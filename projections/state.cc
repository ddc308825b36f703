#include "projections/state.h"

#include <cassert>

#include "engine/core/partitioner.h"

namespace tally {

PartitionState::PartitionState(Partition self, uint32_t partition_count)
    : self_(self), partition_count_(partition_count) {
  assert(partition_count > 0 && self.value < partition_count);
}

bool PartitionState::owns(AccountId account) const {
  return partition_of(account, partition_count_) == self_;
}

bool PartitionState::owns_transfer_id(TransferId id, AccountId debit) const {
  if (partition_count_ == 1 || id.hi() == debit.hi()) return true;
  return partition_of_key(id.hi(), partition_count_) == partition_of(debit, partition_count_);
}

Timestamp PartitionState::next_timestamp(Timestamp append_time) {
  last_timestamp_ = Timestamp{std::max(last_timestamp_.ns + 1, append_time.ns)};
  return last_timestamp_;
}

const Account* PartitionState::find_account(AccountId id) const {
  auto it = accounts_.find(id);
  return it == accounts_.end() ? nullptr : &it->second;
}

Account& PartitionState::mutable_account(AccountId id) {
  auto it = accounts_.find(id);
  assert(it != accounts_.end());
  if (scope_) scope_->undo.emplace_back(std::pair{id, std::optional<Account>(it->second)});
  mark(changes_.accounts, dirty_accounts_, id);
  return it->second;
}

void PartitionState::insert_account(const Account& account) {
  const bool inserted = accounts_.emplace(account.id, account).second;
  assert(inserted);
  (void)inserted;
  if (scope_) scope_->undo.emplace_back(std::pair{account.id, std::optional<Account>()});
  mark(changes_.accounts, dirty_accounts_, account.id);
  changes_.created_accounts.push_back(account.id);
}

const Transfer* PartitionState::find_transfer(TransferId id) const { return transfers_.find(id); }

Transfer& PartitionState::mutable_transfer(TransferId id) {
  uint32_t slot = 0;
  const bool fresh = transfers_.mark(id, &slot);  // REQUIRES: present
  Transfer* t = transfers_.find(id, slot);
  assert(t != nullptr);
  if (scope_) scope_->undo.emplace_back(std::pair{id, std::optional<Transfer>(*t)});
  if (fresh) changes_.transfers.push_back({id, slot});
  return *t;
}

void PartitionState::insert_transfer(const Transfer& transfer) {
  assert(transfers_.find(transfer.id) == nullptr);
  // A new entry starts marked: the same as mark() on it, one probe fewer.
  transfers_.insert(transfer, /*marked=*/true);
  if (scope_) scope_->undo.emplace_back(std::pair{transfer.id, std::optional<Transfer>()});
  const ChangedTransfer changed{transfer.id, static_cast<uint32_t>(transfers_.size() - 1)};
  changes_.transfers.push_back(changed);
  changes_.created_transfers.push_back(changed);
}

const Saga* PartitionState::find_saga(TransferId id) const {
  auto it = sagas_.find(id);
  return it == sagas_.end() ? nullptr : &it->second;
}

Saga& PartitionState::mutable_saga(TransferId id) {
  auto it = sagas_.find(id);
  assert(it != sagas_.end());
  if (scope_) scope_->undo.emplace_back(std::pair{id, std::optional<Saga>(it->second)});
  mark(changes_.sagas, dirty_sagas_, id);
  return it->second;
}

void PartitionState::insert_saga(const Saga& saga) {
  const bool inserted = sagas_.emplace(saga.id, saga).second;
  assert(inserted);
  (void)inserted;
  if (scope_) scope_->undo.emplace_back(std::pair{saga.id, std::optional<Saga>()});
  mark(changes_.sagas, dirty_sagas_, saga.id);
}

const SagaLeg* PartitionState::find_leg(Partition source, TransferId saga_id) const {
  auto it = legs_.find(LegKey{source.value, saga_id});
  return it == legs_.end() ? nullptr : &it->second;
}

void PartitionState::insert_leg(const SagaLeg& leg) {
  const LegKey key{leg.source.value, leg.saga_id};
  const bool inserted = legs_.emplace(key, leg).second;
  assert(inserted);
  (void)inserted;
  if (scope_) scope_->undo.emplace_back(std::pair{key, std::optional<SagaLeg>()});
  changes_.legs.emplace_back(leg.source, leg.saga_id);
}

void PartitionState::add_history(const HistoryEntry& entry) { changes_.history.push_back(entry); }

void PartitionState::set_timer(const Timer& timer) { changes_.timers.push_back({true, timer}); }

void PartitionState::clear_timer(const Timer& timer) { changes_.timers.push_back({false, timer}); }

void PartitionState::add_outbox(Partition target, const Command& command) {
  changes_.outbox.push_back(OutboxEntry{next_outbox_seq_++, target, command});
}

void PartitionState::begin_scope() {
  assert(!scope_);
  scope_ = Scope{{}, changes_.history.size(), changes_.timers.size(), changes_.outbox.size(),
                 next_outbox_seq_, changes_.created_accounts.size(),
                 changes_.created_transfers.size()};
}

void PartitionState::commit_scope() {
  assert(scope_);
  scope_.reset();
}

namespace {
template <class Map, class Key, class Value>
void restore(Map& map, const Key& key, const std::optional<Value>& before) {
  if (before) {
    map.insert_or_assign(key, *before);
  } else {
    map.erase(key);
  }
}
}  // namespace

void PartitionState::rollback_scope() {
  assert(scope_);
  // Newest first, so the oldest saved value wins.
  for (auto it = scope_->undo.rbegin(); it != scope_->undo.rend(); ++it) {
    std::visit(
        [this](const auto& u) {
          using T = std::decay_t<decltype(u)>;
          if constexpr (std::is_same_v<T, std::pair<AccountId, std::optional<Account>>>) {
            restore(accounts_, u.first, u.second);
          } else if constexpr (std::is_same_v<T, std::pair<TransferId, std::optional<Transfer>>>) {
            if (u.second) {
              transfers_.insert_or_assign(*u.second);
            } else {
              transfers_.erase(u.first);
            }
          } else if constexpr (std::is_same_v<T, std::pair<TransferId, std::optional<Saga>>>) {
            restore(sagas_, u.first, u.second);
          } else {
            restore(legs_, u.first, u.second);
          }
        },
        *it);
  }
  changes_.history.resize(scope_->history);
  changes_.timers.resize(scope_->timers);
  changes_.outbox.resize(scope_->outbox);
  changes_.created_accounts.resize(scope_->created_accounts);
  changes_.created_transfers.resize(scope_->created_transfers);
  next_outbox_seq_ = scope_->outbox_seq;
  // Ids stay in the change lists; the writer writes what the maps hold now
  // and skips ids that are gone, which is correct for restored values.
  scope_.reset();
}

void PartitionState::clear_changes() {
  assert(!scope_);
  transfers_.unmark_all();
  // clear(), not a fresh ChangeSet: the vectors keep their capacity, so the
  // next record's changes do not grow them again from nothing.
  changes_.accounts.clear();
  changes_.transfers.clear();
  changes_.sagas.clear();
  changes_.legs.clear();
  changes_.history.clear();
  changes_.timers.clear();
  changes_.outbox.clear();
  changes_.created_accounts.clear();
  changes_.created_transfers.clear();
  dirty_accounts_.clear();
  dirty_sagas_.clear();
}

void PartitionState::load_account(const Account& a) { accounts_.insert_or_assign(a.id, a); }
void PartitionState::load_transfer(const Transfer& t) { transfers_.insert_or_assign(t); }
void PartitionState::load_saga(const Saga& s) { sagas_.insert_or_assign(s.id, s); }
void PartitionState::load_leg(const SagaLeg& l) {
  legs_.insert_or_assign(LegKey{l.source.value, l.saga_id}, l);
}

void PartitionState::restore_clock(Timestamp last, uint64_t next_outbox_seq) {
  last_timestamp_ = last;
  next_outbox_seq_ = next_outbox_seq;
}

void PartitionState::forget_cached() {
  assert(!scope_ && changes_.empty());
  transfers_.clear();
  sagas_.clear();
  legs_.clear();
}

void PartitionState::reset() {
  last_timestamp_ = Timestamp{};
  next_outbox_seq_ = 0;
  accounts_.clear();
  transfers_.clear();
  sagas_.clear();
  legs_.clear();
  changes_ = ChangeSet();
  dirty_accounts_.clear();
  dirty_sagas_.clear();
  scope_.reset();
}

}  // namespace tally
