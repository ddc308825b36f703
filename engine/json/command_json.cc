#include "engine/json/command_json.h"
#include "engine/json/strict_json.h"

#include <boost/json.hpp>
#include <limits>
#include <set>
#include <string>

namespace tally {
namespace json = boost::json;

namespace {

Status field_error(std::string_view field, const std::string& what) {
  return Status::InvalidArgument("field \"" + std::string(field) + "\" " + what);
}

template <class T>
Result<T> uint_from_json(const json::value& v, std::string_view field) {
  constexpr uint64_t max = std::numeric_limits<T>::max();
  uint64_t n = 0;
  if (v.is_uint64()) {
    n = v.as_uint64();
  } else if (v.is_int64()) {
    if (v.as_int64() < 0) return field_error(field, "must not be negative");
    n = static_cast<uint64_t>(v.as_int64());
  } else if (v.is_string() && max > (uint64_t{1} << 53)) {
    auto parsed = parse_u128(std::string_view(v.as_string()));
    if (!parsed || *parsed > max) {
      return field_error(field, "must be a decimal integer in 0.." + std::to_string(max) +
                                    " without leading zeros");
    }
    return static_cast<T>(*parsed);
  } else {
    return field_error(field, "must be an integer in 0.." + std::to_string(max));
  }
  if (n > max) return field_error(field, "is out of range 0.." + std::to_string(max));
  return static_cast<T>(n);
}

// Reads the fields of one object, rejecting any it does not know.
class Fields {
 public:
  Fields(const json::object& o, std::set<std::string_view> allowed) : o_(o) {
    for (const auto& kv : o_) {
      if (kv.key() != "type" && !allowed.contains(kv.key())) unknown_ = std::string(kv.key());
    }
  }
  Status check_unknown() const {
    if (unknown_.empty()) return Status::Ok();
    return Status::InvalidArgument("unknown field \"" + unknown_ + "\"");
  }
  const json::value* find(std::string_view k) const { return o_.if_contains(k); }
  Status u128(std::string_view k, u128& out, bool required) const {
    const json::value* v = find(k);
    if (v == nullptr) return required ? field_error(k, "is required") : Status::Ok();
    TALLY_ASSIGN_OR_RETURN(out, u128_from_json(*v, k));
    return Status::Ok();
  }
  template <class T>
  Status uint(std::string_view k, T& out, bool required) const {
    const json::value* v = find(k);
    if (v == nullptr) return required ? field_error(k, "is required") : Status::Ok();
    TALLY_ASSIGN_OR_RETURN(out, uint_from_json<T>(*v, k));
    return Status::Ok();
  }
  Status flags(std::string_view k, uint16_t& out, const FlagName* names, size_t count) const {
    const json::value* v = find(k);
    if (v == nullptr) return Status::Ok();
    TALLY_ASSIGN_OR_RETURN(out, flags_from_json(*v, names, count, k));
    return Status::Ok();
  }

 private:
  const json::object& o_;
  std::string unknown_;
};

Result<Command> account_from(const json::object& o) {
  Fields f(o, {"id", "ledger", "code", "flags", "user_data_128", "user_data_64", "user_data_32"});
  TALLY_RETURN_IF_ERROR(f.check_unknown());
  CreateAccount a;
  u128 id = 0;
  TALLY_RETURN_IF_ERROR(f.u128("id", id, true));
  a.id = AccountId(id);
  TALLY_RETURN_IF_ERROR(f.uint("ledger", a.ledger, true));
  TALLY_RETURN_IF_ERROR(f.uint("code", a.code, true));
  TALLY_RETURN_IF_ERROR(f.flags("flags", a.flags, kAccountFlagNames, std::size(kAccountFlagNames)));
  TALLY_RETURN_IF_ERROR(f.u128("user_data_128", a.user_data_128, false));
  TALLY_RETURN_IF_ERROR(f.uint("user_data_64", a.user_data_64, false));
  TALLY_RETURN_IF_ERROR(f.uint("user_data_32", a.user_data_32, false));
  return Command(a);
}

Result<Command> transfer_from(const json::object& o) {
  Fields f(o, {"id", "debit_account_id", "credit_account_id", "amount", "pending_id", "ledger",
               "code", "flags", "timeout", "user_data_128", "user_data_64", "user_data_32"});
  TALLY_RETURN_IF_ERROR(f.check_unknown());
  CreateTransfer t;
  u128 v = 0;
  TALLY_RETURN_IF_ERROR(f.flags("flags", t.flags, kTransferFlagNames, std::size(kTransferFlagNames)));
  const bool resolves = (t.flags & (transfer_flags::post_pending | transfer_flags::void_pending)) != 0;
  TALLY_RETURN_IF_ERROR(f.u128("id", v, true));
  t.id = TransferId(v);
  v = 0;
  TALLY_RETURN_IF_ERROR(f.u128("debit_account_id", v, true));
  t.debit_account_id = AccountId(v);
  v = 0;
  TALLY_RETURN_IF_ERROR(f.u128("credit_account_id", v, !resolves));
  t.credit_account_id = AccountId(v);
  // A post without an amount posts the whole pending amount (see docs/outcomes.md).
  v = resolves ? kU128Max : 0;
  TALLY_RETURN_IF_ERROR(f.u128("amount", v, !resolves));
  t.amount = Amount(v);
  v = 0;
  TALLY_RETURN_IF_ERROR(f.u128("pending_id", v, resolves));
  t.pending_id = TransferId(v);
  TALLY_RETURN_IF_ERROR(f.uint("ledger", t.ledger, !resolves));
  TALLY_RETURN_IF_ERROR(f.uint("code", t.code, !resolves));
  TALLY_RETURN_IF_ERROR(f.uint("timeout", t.timeout_seconds, false));
  TALLY_RETURN_IF_ERROR(f.u128("user_data_128", t.user_data_128, false));
  TALLY_RETURN_IF_ERROR(f.uint("user_data_64", t.user_data_64, false));
  TALLY_RETURN_IF_ERROR(f.uint("user_data_32", t.user_data_32, false));
  return Command(t);
}

}  // namespace

json::string u128_to_json(u128 v) { return json::string(u128_to_string(v)); }

Result<u128> u128_from_json(const json::value& v, std::string_view field) {
  if (!v.is_string()) {
    return field_error(field, "must be a decimal string (a u128), e.g. \"42\"");
  }
  auto parsed = parse_u128(std::string_view(v.as_string()));
  if (!parsed) {
    return field_error(field, "must be a decimal integer in 0..2^128-1 without leading zeros, got \"" +
                                  std::string(v.as_string()) + "\"");
  }
  return *parsed;
}

json::array flags_to_json(uint16_t flags, const FlagName* names, size_t count) {
  json::array out;
  for (size_t i = 0; i < count; i++) {
    if ((flags & names[i].bit) != 0) out.emplace_back(json::string(names[i].name));
  }
  return out;
}

Result<uint16_t> flags_from_json(const json::value& v, const FlagName* names, size_t count,
                                 std::string_view field) {
  if (!v.is_array()) return field_error(field, "must be a list of flag names");
  uint16_t flags = 0;
  for (const json::value& e : v.as_array()) {
    if (!e.is_string()) return field_error(field, "must hold only flag names (strings)");
    bool known = false;
    for (size_t i = 0; i < count; i++) {
      if (e.as_string() == names[i].name) {
        flags |= names[i].bit;
        known = true;
      }
    }
    if (!known) {
      std::string valid;
      for (size_t i = 0; i < count; i++) valid += (i ? ", " : "") + std::string(names[i].name);
      return field_error(field, "has unknown flag \"" + std::string(e.as_string()) +
                                    "\" (known: " + valid + ")");
    }
  }
  return flags;
}

Result<Command> command_from_json(const json::value& v) {
  if (!v.is_object()) return Status::InvalidArgument("a command must be a JSON object");
  const json::object& o = v.as_object();
  const json::value* type = o.if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return Status::InvalidArgument(
        "field \"type\" is required: \"create_account\" or \"create_transfer\"");
  }
  if (type->as_string() == "create_account") return account_from(o);
  if (type->as_string() == "create_transfer") return transfer_from(o);
  return Status::InvalidArgument("unknown command type \"" + std::string(type->as_string()) +
                                 "\" (known: create_account, create_transfer)");
}

Result<Command> command_from_json_text(std::string_view text) {
  TALLY_ASSIGN_OR_RETURN(json::value v, parse_json_strict(text));
  return command_from_json(v);
}

void transfer_fields_to_json(const TransferFields& t, json::object& o) {
  o["id"] = u128_to_json(t.id.value());
  o["debit_account_id"] = u128_to_json(t.debit_account_id.value());
  o["credit_account_id"] = u128_to_json(t.credit_account_id.value());
  o["amount"] = u128_to_json(t.amount.value());
  o["pending_id"] = u128_to_json(t.pending_id.value());
  o["ledger"] = t.ledger;
  o["code"] = t.code;
  o["flags"] = flags_to_json(t.flags, kTransferFlagNames, std::size(kTransferFlagNames));
  o["timeout"] = t.timeout_seconds;
  o["user_data_128"] = u128_to_json(t.user_data_128);
  o["user_data_64"] = json::string(std::to_string(t.user_data_64));
  o["user_data_32"] = t.user_data_32;
}

namespace {
struct ToJson {
  json::object operator()(const CreateAccount& a) const {
    json::object o{{"type", "create_account"}};
    account_fields_to_json(a, o);
    return o;
  }
  json::object operator()(const CreateTransfer& t) const {
    json::object o{{"type", "create_transfer"}};
    transfer_fields_to_json(t, o);
    return o;
  }
  json::object operator()(const ExpirePending& e) const {
    return {{"type", "expire_pending"},
            {"pending_id", u128_to_json(e.pending_id.value())},
            {"debit_account_id", u128_to_json(e.debit_account_id.value())}};
  }
  json::object operator()(const SagaCredit& s) const {
    return {{"type", "saga_credit"},
            {"saga_id", u128_to_json(s.saga_id.value())},
            {"debit_account_id", u128_to_json(s.debit_account_id.value())},
            {"credit_account_id", u128_to_json(s.credit_account_id.value())},
            {"amount", u128_to_json(s.amount.value())},
            {"ledger", s.ledger},
            {"code", s.code},
            {"source_partition", s.source_partition.value}};
  }
  json::object operator()(const SagaReply& s) const {
    return {{"type", "saga_reply"},
            {"saga_id", u128_to_json(s.saga_id.value())},
            {"debit_account_id", u128_to_json(s.debit_account_id.value())},
            {"from_partition", s.from_partition.value},
            {"result", s.result}};
  }
  json::object operator()(const SagaCancel& s) const {
    return {{"type", "saga_cancel"},
            {"saga_id", u128_to_json(s.saga_id.value())},
            {"credit_account_id", u128_to_json(s.credit_account_id.value())},
            {"source_partition", s.source_partition.value}};
  }
  json::object operator()(const SagaTimeout& s) const {
    return {{"type", "saga_timeout"},
            {"saga_id", u128_to_json(s.saga_id.value())},
            {"debit_account_id", u128_to_json(s.debit_account_id.value())}};
  }
};
}  // namespace

json::object command_to_json(const Command& command) { return std::visit(ToJson{}, command); }

}  // namespace tally
