// Partitions owned elsewhere: a member of a consumer group answers queries
// only for the partitions it owns and names the owner of the others
// (docs/design.md "Beyond one machine"; docs/http-api.md). The router calls
// misdirected() before a route's handler and elsewhere() after it.
#include <boost/json.hpp>

#include "engine/core/partitioner.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"

namespace tally::http {
namespace json = boost::json;

namespace {

// 421 Misdirected Request: the request is fine, this server is not the one
// to answer it.
constexpr unsigned kMisdirected = 421;

Response not_here(Partition p, const PartitionOwner& o) {
  const std::string part = "partition " + std::to_string(p.value);
  if (o.kind == PartitionOwner::Kind::other) {
    return json_response(kMisdirected, json::object{{"error", part + " is owned by " + o.address},
                                                    {"owner", o.address},
                                                    {"partition", p.value}});
  }
  return json_response(503, json::object{{"error", part + " is not owned by this member: " + o.reason},
                                         {"partition", p.value}});
}

// [{"partition":P,"owner":ADDR|null}] for the partitions not owned here.
json::array others(Backend& backend) {
  json::array out;
  for (uint32_t p = 0; p < backend.partition_count(); p++) {
    const PartitionOwner o = backend.owner(Partition{p});
    if (o.kind == PartitionOwner::Kind::self) continue;
    json::object e{{"partition", p}};
    if (o.kind == PartitionOwner::Kind::other) {
      e["owner"] = o.address;
    } else {
      e["owner"] = nullptr;
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::optional<Response> misdirected(Backend& backend, Scope scope,
                                    const std::vector<std::string>& captures) {
  std::optional<Partition> p;
  if (scope == Scope::account && !captures.empty()) {
    if (Result<u128> id = parse_id(captures[0], "account id"); id.ok()) {
      p = partition_of(AccountId(*id), backend.partition_count());
    }
  } else if (scope == Scope::partition && !captures.empty()) {
    const std::optional<u128> v = parse_u128(captures[0]);
    if (v && *v < backend.partition_count()) p = Partition{static_cast<uint32_t>(*v)};
  }
  if (!p) return std::nullopt;
  const PartitionOwner o = backend.owner(*p);
  if (o.kind == PartitionOwner::Kind::self) return std::nullopt;
  return not_here(*p, o);
}

Response elsewhere(Backend& backend, Scope scope, Response answered) {
  if (scope != Scope::search && scope != Scope::every) return answered;
  if (scope == Scope::search && answered.status != 404) return answered;
  if (scope == Scope::every && answered.status != 200) return answered;
  json::array list = others(backend);
  if (list.empty()) return answered;
  boost::system::error_code ec;
  json::value body = json::parse(answered.body, ec);
  if (ec || !body.is_object()) return answered;
  json::object& o = body.as_object();
  if (scope == Scope::search) {
    const std::string why(o.contains("error") && o.at("error").is_string() ? o.at("error").as_string().c_str()
                                                                         : "not found");
    o["error"] = why + " in the partitions this member owns; ask the owners of the others";
    o["owners"] = std::move(list);
    return json_response(kMisdirected, body);
  }
  o["elsewhere"] = std::move(list);
  return json_response(200, body);
}

}  // namespace tally::http
