// Human-readable sagas and transit accounts for `tally query saga|transit`.
#include <boost/json.hpp>
#include <sstream>

#include "tools/tally/query_render.h"

namespace tally::cli {
namespace json = boost::json;

namespace {

std::string step_line(const json::object& s) {
  std::ostringstream out;
  const std::string ts = field(s, "timestamp");
  out << "  " << (ts.empty() ? std::string(30, ' ') : format_timestamp(ts)) << "  " << field(s, "step")
      << " in partition " << field(s, "partition");
  if (s.contains("sends")) {
    out << " (" << field(s, "sends") << (field(s, "sends") == "1" ? " send)" : " sends)");
  }
  if (s.contains("result")) out << ": " << field(s, "result");
  return out.str() + "\n";
}

}  // namespace

std::string render_saga(const json::object& g) {
  std::ostringstream s;
  s << "saga " << field(g, "id") << ": " << field(g, "state");
  if (g.contains("result")) s << " (" << field(g, "result") << ")";
  if (field(g, "stuck") == "true") s << ", STUCK";
  s << "\n  " << field(g, "amount") << " from " << field(g, "debit_account_id") << " (partition "
    << field(g, "source_partition") << ") to " << field(g, "credit_account_id") << " (partition "
    << field(g, "destination_partition") << "), ledger " << field(g, "ledger") << "\n";
  for (const json::value& v : g.at("steps").as_array()) s << step_line(v.as_object());
  if (g.contains("next_deadline")) {
    s << "  next re-drive at " << format_timestamp(field(g, "next_deadline")) << "\n";
  }
  const json::object& t = g.at("transit").as_object();
  s << "  transit accounts: " << field(t, "source") << " (source), " << field(t, "destination")
    << " (destination)\n";
  return s.str();
}

std::string render_transit(const json::object& o) {
  std::ostringstream s;
  const json::array& accounts = o.at("accounts").as_array();
  s << accounts.size() << (accounts.size() == 1 ? " transit account\n" : " transit accounts\n");
  for (const json::value& v : accounts) {
    const json::object& a = v.as_object();
    s << "  " << field(a, "id") << ": partition " << field(a, "partition") << " towards "
      << field(a, "peer") << ", ledger " << field(a, "ledger") << "; debits posted "
      << field(a, "debits_posted") << "; credits pending " << field(a, "credits_pending")
      << ", posted " << field(a, "credits_posted") << "\n";
  }
  const json::array& flows = o.at("flows").as_array();
  s << flows.size() << (flows.size() == 1 ? " flow\n" : " flows\n");
  for (const json::value& v : flows) {
    const json::object& f = v.as_object();
    s << "  " << field(f, "from") << " -> " << field(f, "to") << " ledger " << field(f, "ledger")
      << ": reserved " << field(f, "reserved") << ", completed " << field(f, "completed")
      << ", credited " << field(f, "credited") << (field(f, "settled") == "true" ? ": settled" : ": in flight")
      << "\n";
  }
  s << (field(o, "settled") == "true" ? "all settled: the transit accounts net to zero\n"
                                      : "sagas in flight: the transit accounts net to zero once they settle\n");
  return s.str();
}

}  // namespace tally::cli
