#include "engine/json/saga_json.h"

#include <boost/json.hpp>

#include "engine/json/command_json.h"
#include "engine/json/record_json.h"
#include "recovery/transit.h"

namespace tally {
namespace json = boost::json;

std::string_view saga_state_name(SagaState state) {
  switch (state) {
    case SagaState::in_flight: return "in_flight";
    case SagaState::completed: return "completed";
    case SagaState::compensated: return "compensated";
  }
  return "unknown";
}

std::string_view leg_decision_name(LegDecision decision) {
  switch (decision) {
    case LegDecision::credited: return "credited";
    case LegDecision::rejected: return "rejected";
    case LegDecision::cancelled: return "cancelled";
  }
  return "unknown";
}

namespace {

json::object step(std::string_view name, Partition p, std::optional<Timestamp> ts) {
  json::object o{{"step", name}, {"partition", p.value}};
  if (ts) o["timestamp"] = timestamp_to_json(*ts);
  return o;
}

json::array steps_of(const SagaStatus& s) {
  const Saga& g = s.saga;
  json::array out;
  out.push_back(step("reserved", g.source, g.started));
  json::object sent = step("credit_leg_sent", g.source, std::nullopt);
  sent["sends"] = g.attempts;
  out.push_back(std::move(sent));
  if (g.cancel_sent) out.push_back(step("cancel_sent", g.source, std::nullopt));
  if (s.leg) {
    json::object d = step(leg_decision_name(s.leg->decision), g.destination, s.leg->timestamp);
    d["result"] = outcome_name(s.leg->result);
    out.push_back(std::move(d));
  }
  if (g.state != SagaState::in_flight) {
    out.push_back(step(g.state == SagaState::completed ? "posted" : "voided", g.source, g.settled));
  }
  return out;
}

}  // namespace

json::object saga_to_json(const SagaStatus& s) {
  const Saga& g = s.saga;
  const Transfer& t = s.reservation;
  json::object o{
      {"id", u128_to_json(g.id.value())},
      {"state", saga_state_name(g.state)},
      {"stuck", s.stuck},
      {"source_partition", g.source.value},
      {"destination_partition", g.destination.value},
      {"debit_account_id", u128_to_json(t.debit_account_id.value())},
      {"credit_account_id", u128_to_json(t.credit_account_id.value())},
      {"amount", u128_to_json(t.amount.value())},
      {"ledger", t.ledger},
      {"code", t.code},
      {"started", timestamp_to_json(g.started)},
  };
  if (g.state == SagaState::in_flight) {
    o["next_deadline"] = timestamp_to_json(g.deadline);
  } else {
    o["settled"] = timestamp_to_json(g.settled);
    o["result"] = outcome_name(g.result);
  }
  o["sends"] = g.attempts;
  o["cancel_sent"] = g.cancel_sent;
  o["transit"] = json::object{{"source", u128_to_json(s.source_transit.value())},
                              {"destination", u128_to_json(s.destination_transit.value())}};
  if (s.leg) {
    o["destination"] = json::object{{"partition", g.destination.value},
                                    {"decision", leg_decision_name(s.leg->decision)},
                                    {"result", outcome_name(s.leg->result)},
                                    {"timestamp", timestamp_to_json(s.leg->timestamp)}};
  }
  o["steps"] = steps_of(s);
  return o;
}

json::object transit_to_json(const std::vector<Account>& accounts, const std::vector<TransitFlow>& flows,
                             uint32_t partition_count) {
  json::array list;
  for (const Account& a : accounts) {
    const TransitParts t = transit_parts(a.id, partition_count);
    json::object o{{"partition", t.own.value}, {"peer", t.peer.value}};
    for (auto& kv : account_to_json(a)) o.emplace(kv.key(), kv.value());
    list.push_back(std::move(o));
  }
  json::array out;
  bool settled = true;
  for (const TransitFlow& f : flows) {
    settled = settled && f.settled();
    out.push_back(json::object{{"from", f.from.value},
                               {"to", f.to.value},
                               {"ledger", f.ledger},
                               {"source_transit", u128_to_json(f.source_transit.value())},
                               {"destination_transit", u128_to_json(f.destination_transit.value())},
                               {"reserved", u128_to_json(f.reserved)},
                               {"completed", u128_to_json(f.completed)},
                               {"credited", u128_to_json(f.credited)},
                               {"settled", f.settled()}});
  }
  return {{"accounts", std::move(list)}, {"flows", std::move(out)}, {"settled", settled}};
}

}  // namespace tally
