// GET /v1/sagas/{id}: a saga's steps on both sides (recovery/saga_status.h).
// GET /v1/transit[?partition=P]: transit accounts and the flows they carry.
#include <boost/json.hpp>

#include "engine/http/handlers.h"
#include "engine/http/params.h"
#include "engine/json/record_json.h"
#include "engine/json/saga_json.h"
#include "recovery/transit.h"

namespace tally::http {
namespace json = boost::json;

namespace {

// Why there is no saga of this id, when a transfer of that id says why.
Response saga_not_found(Backend& backend, TransferId id) {
  const std::string name = "saga " + id.str() + " not found";
  Result<std::optional<Transfer>> t = backend.transfer(id);
  if (!t.ok() || !t->has_value()) return error_response(404, name);
  const Transfer& x = **t;
  if (x.kind == TransferKind::saga_source && x.outcome != Outcome::created) {
    return error_response(404, name + ": transfer " + id.str() + " was rejected at its source (" +
                                   std::string(outcome_name(x.outcome)) + ") before a saga started");
  }
  return error_response(404, name + ": transfer " + id.str() +
                                 " applied within one partition, without a saga");
}

}  // namespace

json::object transfer_with_saga(Backend& backend, const Transfer& t) {
  json::object o = transfer_to_json(t);
  if (t.kind != TransferKind::saga_source || t.outcome != Outcome::created) return o;
  Result<std::optional<SagaStatus>> s = backend.saga(t.id);
  if (!s.ok() || !s->has_value()) return o;
  const Saga& g = (*s)->saga;
  json::object saga{{"state", saga_state_name(g.state)}};
  if (g.state != SagaState::in_flight) saga["result"] = outcome_name(g.result);
  o["saga"] = std::move(saga);
  return o;
}

Response get_saga(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<u128> id = parse_id(args.captures[0], "saga id");
  if (!id.ok()) return error_response(id.status());
  Result<std::optional<SagaStatus>> s = backend.saga(TransferId(*id));
  if (!s.ok()) return error_response(s.status());
  if (!s->has_value()) return saga_not_found(backend, TransferId(*id));
  json::object o = saga_to_json(**s);
  if (!(*s)->destination_read) {
    // The destination's decision is kept by the member that owns it.
    const Partition d = (*s)->saga.destination;
    const PartitionOwner owner = backend.owner(d);
    json::object dst{{"partition", d.value}};
    if (owner.kind == PartitionOwner::Kind::other) {
      dst["owner"] = owner.address;
    } else {
      dst["owner"] = nullptr;
    }
    o["destination"] = std::move(dst);
  }
  return json_response(200, o);
}

Response get_transit(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(args.query, {"partition"});
  if (!q.ok()) return error_response(q.status());
  const uint32_t n = backend.partition_count();
  Result<std::optional<uint64_t>> only = q->uint("partition", 0, n - 1);
  if (!only.ok()) return error_response(only.status());
  std::vector<Account> all;
  std::vector<bool> here(n, true);  // answered by this backend (owned, in a consumer group)
  for (uint32_t p = 0; p < n; p++) {
    here[p] = backend.owner(Partition{p}).kind == PartitionOwner::Kind::self;
    if (!here[p]) continue;
    Result<std::vector<Account>> got = backend.transit(Partition{p});
    if (!got.ok()) return error_response(got.status());
    all.insert(all.end(), got->begin(), got->end());
  }
  std::vector<TransitFlow> flows = transit_flows(all, n);
  // A flow needs both of its partitions' accounts; the router lists the
  // partitions left out, with their owners ("elsewhere").
  std::erase_if(flows, [&](const TransitFlow& f) { return !here[f.from.value] || !here[f.to.value]; });
  if (*only) {
    const Partition p{static_cast<uint32_t>(**only)};
    std::erase_if(all, [&](const Account& a) { return transit_parts(a.id, n).own != p; });
    std::erase_if(flows, [&](const TransitFlow& f) { return f.from != p && f.to != p; });
  }
  return json_response(200, transit_to_json(all, flows, n));
}

}  // namespace tally::http
