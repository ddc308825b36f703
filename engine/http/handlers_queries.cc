// GET handlers: accounts, transfers, history, balance at a time, pending
// transfers, the outcomes of a record, health.
#include <boost/json.hpp>
#include <algorithm>

#include "engine/core/partitioner.h"
#include "engine/http/handlers.h"
#include "engine/http/api_limits.h"
#include "engine/http/params.h"
#include "engine/json/record_json.h"

namespace tally::http {
namespace json = boost::json;

namespace {

Result<size_t> page_limit(const QueryParams& q) {
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> limit, q.uint("limit", 1, kMaxPageLimit));
  return limit ? static_cast<size_t>(*limit) : kDefaultPageLimit;
}

Result<HistoryQuery> history_query(AccountId account, const QueryParams& q) {
  HistoryQuery h;
  h.account = account;
  TALLY_ASSIGN_OR_RETURN(h.limit, page_limit(q));
  const std::optional<std::string_view> order = q.get("order");
  if (order && *order != "asc" && *order != "desc") {
    return Status::InvalidArgument("query parameter \"order\" must be asc or desc, got \"" +
                                   std::string(*order) + "\"");
  }
  h.descending = order && *order == "desc";
  constexpr uint64_t kMax = ~uint64_t{0};
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> from, q.uint("from", 0, kMax));
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> to, q.uint("to", 0, kMax));
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> cursor, q.uint("cursor", 0, kMax));
  if (from) h.from = Timestamp{*from};
  if (to) h.to = Timestamp{*to};
  if (h.from > h.to) {
    return Status::InvalidArgument("query parameter \"from\" (" + std::to_string(h.from.ns) +
                                   ") is after \"to\" (" + std::to_string(h.to.ns) + ")");
  }
  if (cursor) h.after = Timestamp{*cursor};
  return h;
}

// An answer from the store of `account`'s partition, with the headers that
// say how fresh it is: Tally-Partition and Tally-Applied-Offset (the next
// offset that partition applies; records below it are reflected). They
// matter most while the log is down: queries keep answering from the
// stores, as of that offset.
Response fresh_as_of(Backend& backend, AccountId account, Response r) {
  const Partition p = partition_of(account, backend.partition_count());
  if (const std::optional<Offset> applied = backend.applied(p)) {
    r.headers.emplace_back("Tally-Partition", std::to_string(p.value));
    r.headers.emplace_back("Tally-Applied-Offset", std::to_string(applied->value));
  }
  return r;
}

}  // namespace

Response get_account(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<u128> id = parse_id(args.captures[0], "account id");
  if (!id.ok()) return error_response(id.status());
  Result<std::optional<Account>> a = backend.account(AccountId(*id));
  if (!a.ok()) return error_response(a.status());
  if (!a->has_value()) return error_response(404, "account " + u128_to_string(*id) + " not found");
  return fresh_as_of(backend, AccountId(*id), json_response(200, account_to_json(**a)));
}

Response get_transfer(Backend& backend, const RouteArgs& args) {
  if (auto q = QueryParams::make(args.query, {}); !q.ok()) return error_response(q.status());
  Result<u128> id = parse_id(args.captures[0], "transfer id");
  if (!id.ok()) return error_response(id.status());
  Result<std::optional<Transfer>> t = backend.transfer(TransferId(*id));
  if (!t.ok()) return error_response(t.status());
  if (!t->has_value()) return error_response(404, "transfer " + u128_to_string(*id) + " not found");
  boost::json::object o = transfer_with_saga(backend, **t);
  // A store written before transfer ids had to route with their debit
  // account may hold the id in more than one partition: say so rather than
  // hide the others (docs/design.md "One transfer id, one partition").
  Result<std::vector<Partition>> holders = backend.transfer_partitions(TransferId(*id));
  if (!holders.ok()) return error_response(holders.status());
  if (holders->size() > 1) {
    boost::json::array others;
    for (size_t i = 1; i < holders->size(); i++) others.push_back((*holders)[i].value);
    o["id_also_used_in"] = std::move(others);
  }
  return json_response(200, o);
}

Response get_history(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(args.query, {"limit", "cursor", "order", "from", "to"});
  if (!q.ok()) return error_response(q.status());
  Result<u128> id = parse_id(args.captures[0], "account id");
  if (!id.ok()) return error_response(id.status());
  Result<HistoryQuery> hq = history_query(AccountId(*id), *q);
  if (!hq.ok()) return error_response(hq.status());
  Result<HistoryPage> page = backend.history(*hq);
  if (!page.ok()) return error_response(page.status());
  return fresh_as_of(backend, AccountId(*id), json_response(200, history_to_json(AccountId(*id), *page)));
}

Response get_balance(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(args.query, {"at"});
  if (!q.ok()) return error_response(q.status());
  Result<u128> id = parse_id(args.captures[0], "account id");
  if (!id.ok()) return error_response(id.status());
  Result<std::optional<uint64_t>> at = q->uint("at", 0, ~uint64_t{0});
  if (!at.ok()) return error_response(at.status());
  if (!*at) return error_response(400, "query parameter \"at\" (a timestamp in ns) is required");
  Result<Balances> b = backend.balance_at(AccountId(*id), Timestamp{**at});
  if (!b.ok()) return error_response(b.status());
  return fresh_as_of(backend, AccountId(*id), json_response(200, balance_at_to_json(AccountId(*id), Timestamp{**at}, *b)));
}

// Merges each partition's first `limit` + 1 pending transfers after the
// cursor, in id order.
Response get_pending(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(args.query, {"limit", "cursor"});
  if (!q.ok()) return error_response(q.status());
  Result<size_t> limit = page_limit(*q);
  if (!limit.ok()) return error_response(limit.status());
  std::optional<TransferId> after;
  if (auto c = q->get("cursor")) {
    Result<u128> id = parse_id(*c, "query parameter \"cursor\"");
    if (!id.ok()) return error_response(id.status());
    after = TransferId(*id);
  }
  const size_t ask = std::min(*limit + 1, kMaxPageSize);
  std::vector<Transfer> all;
  bool maybe_more = false;
  for (uint32_t p = 0; p < backend.partition_count(); p++) {
    Result<std::vector<Transfer>> got = backend.pending(Partition{p}, ask, after);
    if (!got.ok()) return error_response(got.status());
    maybe_more = maybe_more || (ask == *limit && got->size() == ask);
    all.insert(all.end(), got->begin(), got->end());
  }
  std::sort(all.begin(), all.end(), [](const Transfer& a, const Transfer& b) { return a.id < b.id; });
  const bool more = maybe_more || all.size() > *limit;
  if (all.size() > *limit) all.resize(*limit);
  std::optional<TransferId> next;
  if (more && !all.empty()) next = all.back().id;
  return json_response(200, pending_to_json(all, next));
}

}  // namespace tally::http
