#include "engine/core/command.h"

namespace tally {

const FlagName kAccountFlagNames[5] = {
    {account_flags::linked, "linked"},
    {account_flags::debits_must_not_exceed_credits, "debits_must_not_exceed_credits"},
    {account_flags::credits_must_not_exceed_debits, "credits_must_not_exceed_debits"},
    {account_flags::history, "history"},
    {account_flags::closed, "closed"},
};

const FlagName kTransferFlagNames[8] = {
    {transfer_flags::linked, "linked"},
    {transfer_flags::pending, "pending"},
    {transfer_flags::post_pending, "post_pending"},
    {transfer_flags::void_pending, "void_pending"},
    {transfer_flags::balancing_debit, "balancing_debit"},
    {transfer_flags::balancing_credit, "balancing_credit"},
    {transfer_flags::closing_debit, "closing_debit"},
    {transfer_flags::closing_credit, "closing_credit"},
};

namespace {
struct Router {
  AccountId operator()(const CreateAccount& c) const { return c.id; }
  AccountId operator()(const CreateTransfer& c) const { return c.debit_account_id; }
  AccountId operator()(const ExpirePending& c) const { return c.debit_account_id; }
  AccountId operator()(const SagaCredit& c) const { return c.credit_account_id; }
  AccountId operator()(const SagaReply& c) const { return c.debit_account_id; }
  AccountId operator()(const SagaCancel& c) const { return c.credit_account_id; }
  AccountId operator()(const SagaTimeout& c) const { return c.debit_account_id; }
};
struct Subject {
  u128 operator()(const CreateAccount& c) const { return c.id.value(); }
  u128 operator()(const CreateTransfer& c) const { return c.id.value(); }
  u128 operator()(const ExpirePending& c) const { return c.pending_id.value(); }
  u128 operator()(const SagaCredit& c) const { return c.saga_id.value(); }
  u128 operator()(const SagaReply& c) const { return c.saga_id.value(); }
  u128 operator()(const SagaCancel& c) const { return c.saga_id.value(); }
  u128 operator()(const SagaTimeout& c) const { return c.saga_id.value(); }
};
struct TypeName {
  std::string_view operator()(const CreateAccount&) const { return "create_account"; }
  std::string_view operator()(const CreateTransfer&) const { return "create_transfer"; }
  std::string_view operator()(const ExpirePending&) const { return "expire_pending"; }
  std::string_view operator()(const SagaCredit&) const { return "saga_credit"; }
  std::string_view operator()(const SagaReply&) const { return "saga_reply"; }
  std::string_view operator()(const SagaCancel&) const { return "saga_cancel"; }
  std::string_view operator()(const SagaTimeout&) const { return "saga_timeout"; }
};
}  // namespace

AccountId routing_account(const Command& command) { return std::visit(Router{}, command); }
u128 command_subject(const Command& command) { return std::visit(Subject{}, command); }
std::string_view command_type_name(const Command& command) { return std::visit(TypeName{}, command); }

}  // namespace tally
