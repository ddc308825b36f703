#include "engine/client/client_json.h"

#include <charconv>
#include <iterator>

#include "engine/json/command_json.h"

namespace tally::client::detail {
namespace json = boost::json;

// The public header repeats the engine's flag bits (it may include nothing
// of the engine's); these keep the two the same.
static_assert(account_flags::linked == tally::account_flags::linked &&
              account_flags::debits_must_not_exceed_credits == tally::account_flags::debits_must_not_exceed_credits &&
              account_flags::credits_must_not_exceed_debits == tally::account_flags::credits_must_not_exceed_debits &&
              account_flags::history == tally::account_flags::history &&
              account_flags::closed == tally::account_flags::closed);
static_assert(transfer_flags::linked == tally::transfer_flags::linked &&
              transfer_flags::pending == tally::transfer_flags::pending &&
              transfer_flags::post_pending == tally::transfer_flags::post_pending &&
              transfer_flags::void_pending == tally::transfer_flags::void_pending &&
              transfer_flags::balancing_debit == tally::transfer_flags::balancing_debit &&
              transfer_flags::balancing_credit == tally::transfer_flags::balancing_credit &&
              transfer_flags::closing_debit == tally::transfer_flags::closing_debit &&
              transfer_flags::closing_credit == tally::transfer_flags::closing_credit);

tally::Command to_engine(const Command& command) {
  if (const auto* a = std::get_if<NewAccount>(&command)) {
    return CreateAccount{.id = AccountId(a->id), .user_data_128 = a->user_data_128,
                         .user_data_64 = a->user_data_64, .user_data_32 = a->user_data_32,
                         .ledger = a->ledger, .code = a->code, .flags = a->flags};
  }
  const auto& t = std::get<NewTransfer>(command);
  CreateTransfer c;
  c.id = TransferId(t.id);
  c.debit_account_id = AccountId(t.debit_account_id);
  c.credit_account_id = AccountId(t.credit_account_id);
  c.amount = Amount(t.amount);
  c.pending_id = TransferId(t.pending_id);
  c.user_data_128 = t.user_data_128;
  c.user_data_64 = t.user_data_64;
  c.user_data_32 = t.user_data_32;
  c.timeout_seconds = t.timeout_seconds;
  c.ledger = t.ledger;
  c.code = t.code;
  c.flags = t.flags;
  return c;
}

namespace {

// Reads the fields of one JSON object, remembering the first error.
class Fields {
 public:
  explicit Fields(const json::value& v) : object_(v.if_object()) {
    if (object_ == nullptr) status_ = Status::InvalidArgument("the answer is not a JSON object");
  }
  const json::value* find(std::string_view name) {
    if (object_ == nullptr) return nullptr;
    const json::value* v = object_->if_contains(name);
    if (v == nullptr && status_.ok()) status_ = Status::InvalidArgument("the answer has no \"" + std::string(name) + "\"");
    return v;
  }
  const json::value* find_optional(std::string_view name) {
    return object_ == nullptr ? nullptr : object_->if_contains(name);
  }
  u128 u128_of(std::string_view name) {
    const json::value* v = find(name);
    if (v == nullptr) return 0;
    return keep(u128_from_json(*v, name), u128{0});
  }
  // A u64 the API writes as a decimal string (or a number).
  uint64_t u64_of(std::string_view name) {
    const json::value* v = find(name);
    if (v == nullptr) return 0;
    if (v->is_uint64() || (v->is_int64() && v->as_int64() >= 0)) return v->to_number<uint64_t>();
    const json::string* s = v->if_string();
    uint64_t out = 0;
    if (s == nullptr || std::from_chars(s->data(), s->data() + s->size(), out).ec != std::errc{}) {
      fail(name, "an unsigned 64-bit number");
    }
    return out;
  }
  template <class N>
  N number_of(std::string_view name) {
    const json::value* v = find(name);
    if (v == nullptr) return 0;
    std::error_code ec;
    const N n = v->to_number<N>(ec);
    if (ec) fail(name, "a number");
    return n;
  }
  uint16_t flags_of(std::string_view name, const FlagName* names, size_t count) {
    const json::value* v = find(name);
    if (v == nullptr) return 0;
    return keep(flags_from_json(*v, names, count, name), uint16_t{0});
  }
  std::string string_of(std::string_view name) {
    const json::value* v = find(name);
    if (v == nullptr) return {};
    if (!v->is_string()) fail(name, "a string");
    return v->is_string() ? std::string(v->get_string()) : std::string();
  }
  const Status& status() const { return status_; }

 private:
  template <class T>
  T keep(tally::Result<T> r, T fallback) {
    if (r.ok()) return r.value();
    if (status_.ok()) status_ = r.status();
    return fallback;
  }
  void fail(std::string_view name, std::string_view what) {
    if (status_.ok()) status_ = Status::InvalidArgument("\"" + std::string(name) + "\" is not " + std::string(what));
  }
  const json::object* object_;
  Status status_;
};

Balances balances_of(Fields& f) {
  return Balances{.debits_pending = f.u128_of("debits_pending"), .debits_posted = f.u128_of("debits_posted"),
                  .credits_pending = f.u128_of("credits_pending"), .credits_posted = f.u128_of("credits_posted")};
}

}  // namespace

tally::Result<Account> account_from_json(const json::value& v) {
  Fields f(v);
  Account a;
  a.fields = NewAccount{.id = f.u128_of("id"), .ledger = f.number_of<uint32_t>("ledger"),
                        .code = f.number_of<uint16_t>("code"),
                        .flags = f.flags_of("flags", kAccountFlagNames, std::size(kAccountFlagNames)),
                        .user_data_128 = f.u128_of("user_data_128"), .user_data_64 = f.u64_of("user_data_64"),
                        .user_data_32 = f.number_of<uint32_t>("user_data_32")};
  a.balances = balances_of(f);
  a.timestamp = f.u64_of("timestamp");
  a.outcome = f.string_of("outcome");
  if (!f.status().ok()) return f.status();
  return a;
}

tally::Result<Transfer> transfer_from_json(const json::value& v) {
  Fields f(v);
  Transfer t;
  t.fields = NewTransfer{.id = f.u128_of("id"), .debit_account_id = f.u128_of("debit_account_id"),
                         .credit_account_id = f.u128_of("credit_account_id"), .amount = f.u128_of("amount"),
                         .pending_id = f.u128_of("pending_id"), .ledger = f.number_of<uint32_t>("ledger"),
                         .code = f.number_of<uint16_t>("code"),
                         .flags = f.flags_of("flags", kTransferFlagNames, std::size(kTransferFlagNames)),
                         .timeout_seconds = f.number_of<uint32_t>("timeout"),
                         .user_data_128 = f.u128_of("user_data_128"), .user_data_64 = f.u64_of("user_data_64"),
                         .user_data_32 = f.number_of<uint32_t>("user_data_32")};
  t.timestamp = f.u64_of("timestamp");
  t.outcome = f.string_of("outcome");
  if (f.find_optional("state") != nullptr) {
    t.state = f.string_of("state");
  } else if (t.outcome == "created") {
    t.state = "posted";  // the API names a state only for pending transfers
  }
  if (!f.status().ok()) return f.status();
  return t;
}

tally::Result<std::vector<Outcome>> outcomes_from_json(const json::value& v, size_t expected) {
  const json::object* o = v.if_object();
  const json::value* results = o == nullptr ? nullptr : o->if_contains("results");
  if (results == nullptr || !results->is_array() || results->get_array().size() != expected) {
    return Status::InvalidArgument("the answer has no \"results\" with one entry per command sent");
  }
  std::vector<Outcome> out;
  out.reserve(expected);
  for (const json::value& r : results->get_array()) {
    Fields f(r);
    Outcome oc{.partition = f.number_of<uint32_t>("partition"), .offset = f.number_of<uint64_t>("offset"),
               .index = f.number_of<uint32_t>("index")};
    if (f.find_optional("outcome") != nullptr) oc.outcome = f.string_of("outcome");
    if (!f.status().ok()) return f.status();
    out.push_back(std::move(oc));
  }
  return out;
}

tally::Result<std::vector<std::string>> offset_outcomes_from_json(const json::value& v) {
  const json::object* o = v.if_object();
  if (o != nullptr && o->if_contains("quarantined") != nullptr) {
    return Status::Corruption("the record was quarantined: " + error_text(json::serialize(v)));
  }
  const json::value* list = o == nullptr ? nullptr : o->if_contains("outcomes");
  if (list == nullptr || !list->is_array()) return Status::InvalidArgument("the answer has no \"outcomes\"");
  std::vector<std::string> out;
  for (const json::value& s : list->get_array()) {
    if (!s.is_string()) return Status::InvalidArgument("an outcome is not a string");
    out.emplace_back(s.get_string());
  }
  return out;
}

std::string error_text(const std::string& body) {
  std::error_code ec;
  const json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const json::value* e = v.get_object().if_contains("error"); e != nullptr && e->is_string()) {
      return std::string(e->get_string());
    }
    if (const json::value* r = v.get_object().if_contains("reason"); r != nullptr && r->is_string()) {
      return std::string(r->get_string());
    }
  }
  return body;
}

}  // namespace tally::client::detail
