#include "tools/tally/query_render.h"

#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "engine/json/text.h"

namespace tally::cli {
namespace json = boost::json;

std::string field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_bool()) return v->as_bool() ? "true" : "false";
  return json::serialize(*v);
}

namespace {

std::string flags(const json::object& o) {
  std::string out;
  const json::value* v = o.if_contains("flags");
  if (v == nullptr || !v->is_array()) return "none";
  for (const json::value& f : v->as_array()) {
    out += (out.empty() ? "" : ", ") + std::string(f.as_string());
  }
  return out.empty() ? "none" : out;
}

std::string balances(const json::object& b) {
  return "debits pending " + field(b, "debits_pending") + ", posted " + field(b, "debits_posted") +
         "; credits pending " + field(b, "credits_pending") + ", posted " + field(b, "credits_posted");
}

std::string account(const json::object& a) {
  std::ostringstream s;
  s << "account " << field(a, "id") << ": " << field(a, "outcome") << " at "
    << format_timestamp(field(a, "timestamp")) << "\n"
    << "  ledger " << field(a, "ledger") << ", code " << field(a, "code") << ", flags: " << flags(a) << "\n"
    << "  " << balances(a) << "\n"
    << "  user data: 128 " << field(a, "user_data_128") << ", 64 " << field(a, "user_data_64") << ", 32 "
    << field(a, "user_data_32") << "\n";
  return s.str();
}

std::string transfer_line(const json::object& t) {
  std::string line = "transfer " + field(t, "id") + ": " + field(t, "amount") + " from " +
                     field(t, "debit_account_id") + " to " + field(t, "credit_account_id") +
                     " (ledger " + field(t, "ledger") + ", code " + field(t, "code") + ", flags: " + flags(t) +
                     ") " + field(t, "outcome");
  if (t.contains("state")) line += ", " + field(t, "state");
  return line;
}

std::string transfer(const json::object& t) {
  std::ostringstream s;
  s << transfer_line(t) << "\n  at " << format_timestamp(field(t, "timestamp")) << "\n";
  if (field(t, "pending_id") != "0") s << "  pending id " << field(t, "pending_id") << "\n";
  if (t.contains("expires_at")) s << "  expires at " << format_timestamp(field(t, "expires_at")) << "\n";
  if (t.contains("requested_amount")) s << "  requested amount " << field(t, "requested_amount") << "\n";
  if (const json::value* g = t.if_contains("saga")) {
    const json::object& saga = g->as_object();
    s << "  across partitions: saga " << field(saga, "state");
    if (saga.contains("result")) s << " (" << field(saga, "result") << ")";
    s << "; tally query saga " << field(t, "id") << " shows its steps\n";
  }
  if (const json::value* also = t.if_contains("id_also_used_in")) {
    // A store written before transfer ids had to route with their debit account.
    s << "  the same id is also a transfer in partition";
    for (const json::value& p : also->as_array()) s << " " << json::serialize(p);
    s << " (created before transfer ids routed to their debit account's partition)\n";
  }
  return s.str();
}

std::string history(const json::object& h) {
  std::ostringstream s;
  const json::array& items = h.at("items").as_array();
  s << "history of account " << field(h, "account_id") << ": " << items.size()
    << (items.size() == 1 ? " change\n" : " changes\n");
  for (const json::value& v : items) {
    const json::object& i = v.as_object();
    s << "  " << format_timestamp(field(i, "timestamp")) << "  " << transfer_line(i.at("transfer").as_object()) << "\n";
    if (i.contains("balances")) s << "      after: " << balances(i.at("balances").as_object()) << "\n";
  }
  if (h.contains("next_cursor")) s << "more: --cursor " << field(h, "next_cursor") << "\n";
  return s.str();
}

std::string pending(const json::object& p) {
  std::ostringstream s;
  const json::array& list = p.at("transfers").as_array();
  s << list.size() << " pending transfers\n";
  for (const json::value& t : list) s << "  " << transfer_line(t.as_object()) << "\n";
  if (p.contains("next_cursor")) s << "more: --cursor " << field(p, "next_cursor") << "\n";
  return s.str();
}

// GET /v1/accounts and GET /v1/transfers answers, one line an item.
std::string account_list(const json::object& p) {
  std::ostringstream s;
  const json::array& list = p.at("accounts").as_array();
  s << list.size() << (list.size() == 1 ? " account\n" : " accounts\n");
  for (const json::value& v : list) {
    const json::object& a = v.as_object();
    s << "  account " << field(a, "id") << " (ledger " << field(a, "ledger") << ", code " << field(a, "code")
      << ") created at " << format_timestamp(field(a, "timestamp")) << "; " << balances(a) << "\n";
  }
  if (p.contains("next_cursor")) s << "more: --cursor " << field(p, "next_cursor") << "\n";
  return s.str();
}

std::string transfer_list(const json::object& p) {
  std::ostringstream s;
  const json::array& list = p.at("transfers").as_array();
  s << list.size() << (list.size() == 1 ? " transfer\n" : " transfers\n");
  for (const json::value& t : list) {
    s << "  " << format_timestamp(field(t.as_object(), "timestamp")) << "  " << transfer_line(t.as_object()) << "\n";
  }
  if (p.contains("next_cursor")) s << "more: --cursor " << field(p, "next_cursor") << "\n";
  return s.str();
}

std::string offset(const json::object& o) {
  std::ostringstream s;
  s << "partition " << field(o, "partition") << " offset " << field(o, "offset");
  if (o.contains("quarantined")) {
    s << ": quarantined: " << field(o, "reason") << "\n";
    return s.str();
  }
  const json::array& outcomes = o.at("outcomes").as_array();
  s << ": " << outcomes.size() << " commands from " << format_timestamp(field(o, "first_timestamp")) << "\n";
  for (size_t i = 0; i < outcomes.size(); i++) {
    s << "  " << i << " " << std::string(outcomes[i].as_string()) << "\n";
  }
  return s.str();
}

std::string stuck(const json::object& o) {
  std::ostringstream s;
  const json::array& list = o.at("operations").as_array();
  s << list.size() << (list.size() == 1 ? " stuck operation\n" : " stuck operations\n");
  for (const json::value& v : list) {
    const json::object& op = v.as_object();
    s << "  " << field(op, "kind") << " " << field(op, "id") << " in partition " << field(op, "partition");
    if (op.contains("seq")) s << " (outbox seq " << field(op, "seq") << ")";
    if (op.contains("target")) s << " for partition " << field(op, "target");
    s << ": " << field(op, "attempts") << " attempts since " << format_timestamp(field(op, "first_attempt"))
      << "\n    last error: " << field(op, "last_error") << "\n";
  }
  return s.str();
}

}  // namespace

std::string format_timestamp(std::string_view ns) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(ns.data(), ns.data() + ns.size(), v);
  if (ec != std::errc() || end != ns.data() + ns.size()) return std::string(ns);
  const std::time_t secs = static_cast<std::time_t>(v / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<unsigned long long>(v % 1'000'000'000));
  return buf;
}

std::string render_human(std::string_view what, const json::value& answer) {
  const json::object& o = answer.as_object();
  if (what == "account") return account(o);
  if (what == "transfer") return transfer(o);
  if (what == "history") return history(o);
  if (what == "balance") {
    return "account " + field(o, "account_id") + " at " + format_timestamp(field(o, "at")) + ":\n  " +
           balances(o) + "\n";
  }
  if (what == "pending") return pending(o);
  if (what == "accounts") return account_list(o);
  if (what == "transfers") return transfer_list(o);
  if (what == "offset") return offset(o);
  if (what == "stuck") return stuck(o);
  if (what == "saga") return render_saga(o);
  if (what == "transit") return render_transit(o);
  return json_text::serialize(answer) + "\n";
}

}  // namespace tally::cli
