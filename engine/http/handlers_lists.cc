// GET /v1/accounts and GET /v1/transfers: list and filter queries, paged
// with an opaque cursor (docs/queries.md). Partitions are walked in order,
// each in creation-time order from its indexes (projections/list_queries.h);
// the cursor is "P.T" (continue in partition P past timestamp T) or "P"
// (start partition P). A transfer list for one account reads only that
// account's partition.
#include <boost/json.hpp>

#include "engine/core/partitioner.h"
#include "engine/http/api_limits.h"
#include "engine/http/handlers.h"
#include "engine/http/params.h"
#include "engine/json/record_json.h"

namespace tally::http {
namespace json = boost::json;
namespace {

constexpr uint64_t kMax64 = ~uint64_t{0};

struct Cursor {
  uint32_t partition = 0;
  std::optional<Timestamp> after;
};

Status bad_cursor(std::string_view text) {
  return Status::InvalidArgument("query parameter \"cursor\" is not a cursor this route returned: \"" +
                                 std::string(text) + "\"");
}

Result<Cursor> parse_cursor(const QueryParams& q, uint32_t partitions) {
  Cursor c;
  const std::optional<std::string_view> text = q.get("cursor");
  if (!text) return c;
  const size_t dot = text->find('.');
  const std::optional<u128> p = parse_u128(text->substr(0, dot));
  if (!p || *p >= partitions) return bad_cursor(*text);
  c.partition = static_cast<uint32_t>(*p);
  if (dot != std::string_view::npos) {
    const std::optional<u128> t = parse_u128(text->substr(dot + 1));
    if (!t || *t > kMax64) return bad_cursor(*text);
    c.after = Timestamp{static_cast<uint64_t>(*t)};
  }
  return c;
}

std::string cursor_text(uint32_t partition, std::optional<Timestamp> after) {
  std::string s = std::to_string(partition);
  if (after) s += "." + std::to_string(after->ns);
  return s;
}

// A non-zero user_data value: zero is "none" and is not indexed.
Result<std::optional<u128>> user_data(const QueryParams& q, std::string_view name, u128 max) {
  const std::optional<std::string_view> text = q.get(name);
  if (!text) return std::optional<u128>();
  const std::optional<u128> v = parse_u128(*text);
  if (!v || *v == 0 || *v > max) {
    return Status::InvalidArgument("query parameter \"" + std::string(name) + "\" must be an integer in 1.." +
                                   u128_to_string(max) + " (0 means none and is not indexed), got \"" +
                                   std::string(*text) + "\"");
  }
  return v;
}

Status read_filter(const QueryParams& q, ListFilter& f) {
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> ledger, q.uint("ledger", 1, 0xFFFF'FFFFull));
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> code, q.uint("code", 1, 0xFFFF));
  TALLY_ASSIGN_OR_RETURN(f.user_data_128, user_data(q, "user_data_128", ~u128{0}));
  TALLY_ASSIGN_OR_RETURN(std::optional<u128> u64, user_data(q, "user_data_64", kMax64));
  TALLY_ASSIGN_OR_RETURN(std::optional<u128> u32, user_data(q, "user_data_32", 0xFFFF'FFFFull));
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> from, q.uint("from", 0, kMax64));
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> to, q.uint("to", 0, kMax64));
  if (ledger) f.ledger = static_cast<Ledger>(*ledger);
  if (code) f.code = static_cast<Code>(*code);
  if (u64) f.user_data_64 = static_cast<uint64_t>(*u64);
  if (u32) f.user_data_32 = static_cast<uint32_t>(*u32);
  if (from) f.from = Timestamp{*from};
  if (to) f.to = Timestamp{*to};
  if (f.from > f.to) {
    return Status::InvalidArgument("query parameter \"from\" (" + std::to_string(f.from.ns) +
                                   ") is after \"to\" (" + std::to_string(f.to.ns) + ")");
  }
  return Status::Ok();
}

Status read_transfer_filter(const QueryParams& q, TransferFilter& f) {
  TALLY_RETURN_IF_ERROR(read_filter(q, f));
  if (auto a = q.get("account")) {
    TALLY_ASSIGN_OR_RETURN(u128 id, parse_id(*a, "query parameter \"account\""));
    f.account = AccountId(id);
  }
  if (auto side = q.get("side")) {
    if (*side != "debit" && *side != "credit" && *side != "either") {
      return Status::InvalidArgument("query parameter \"side\" must be debit, credit or either, got \"" +
                                     std::string(*side) + "\"");
    }
    if (!f.account) return Status::InvalidArgument("query parameter \"side\" needs \"account\"");
    f.side = *side == "debit" ? AccountSide::debit : *side == "credit" ? AccountSide::credit : AccountSide::either;
  }
  if (auto pending = q.get("pending")) {
    if (*pending != "true" && *pending != "false") {
      return Status::InvalidArgument("query parameter \"pending\" must be true or false, got \"" +
                                     std::string(*pending) + "\"");
    }
    f.pending = *pending == "true";
  }
  return Status::Ok();
}

Result<size_t> list_limit(const QueryParams& q) {
  TALLY_ASSIGN_OR_RETURN(std::optional<uint64_t> limit, q.uint("limit", 1, kMaxPageLimit));
  return limit ? static_cast<size_t>(*limit) : kDefaultPageLimit;
}

// Fills a page from partitions [first, last], starting past the cursor:
// `fetch(p, want, after)` lists one partition.
template <class T, class Fetch>
Result<json::object> walk(const Cursor& start, uint32_t last, size_t limit, const char* name,
                          Fetch&& fetch, json::object (*to_json)(const T&)) {
  json::array items;
  std::optional<std::string> next;
  size_t left = limit;
  for (uint32_t p = start.partition; p <= last; p++) {
    TALLY_ASSIGN_OR_RETURN(ListPage<T> page, fetch(p, left, p == start.partition ? start.after : std::nullopt));
    for (const T& item : page.items) items.push_back(to_json(item));
    left -= page.items.size();
    if (page.next) {
      next = cursor_text(p, page.next);
      break;
    }
    if (left == 0) {
      if (p < last) next = cursor_text(p + 1, std::nullopt);
      break;
    }
  }
  json::object o{{name, std::move(items)}};
  if (next) o["next_cursor"] = *next;
  return o;
}

json::object account_json(const Account& a) { return account_to_json(a); }
json::object transfer_json(const Transfer& t) { return transfer_to_json(t); }

}  // namespace

Response get_accounts_list(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(
      args.query, {"limit", "cursor", "ledger", "code", "user_data_128", "user_data_64", "user_data_32", "from", "to"});
  if (!q.ok()) return error_response(q.status());
  ListFilter filter;
  if (Status s = read_filter(*q, filter); !s.ok()) return error_response(s);
  Result<size_t> limit = list_limit(*q);
  if (!limit.ok()) return error_response(limit.status());
  Result<Cursor> cursor = parse_cursor(*q, backend.partition_count());
  if (!cursor.ok()) return error_response(cursor.status());
  Result<json::object> o = walk<Account>(
      *cursor, backend.partition_count() - 1, *limit, "accounts",
      [&](uint32_t p, size_t want, std::optional<Timestamp> after) {
        return backend.list_accounts(Partition{p}, filter, want, after);
      },
      account_json);
  if (!o.ok()) return error_response(o.status());
  return json_response(200, *o);
}

Response get_transfers_list(Backend& backend, const RouteArgs& args) {
  Result<QueryParams> q = QueryParams::make(
      args.query, {"limit", "cursor", "account", "side", "ledger", "code", "user_data_128", "user_data_64",
                   "user_data_32", "from", "to", "pending"});
  if (!q.ok()) return error_response(q.status());
  TransferFilter filter;
  if (Status s = read_transfer_filter(*q, filter); !s.ok()) return error_response(s);
  Result<size_t> limit = list_limit(*q);
  if (!limit.ok()) return error_response(limit.status());
  Result<Cursor> cursor = parse_cursor(*q, backend.partition_count());
  if (!cursor.ok()) return error_response(cursor.status());
  uint32_t last = backend.partition_count() - 1;
  if (filter.account) {
    // An account's transfers are in its partition (saga credit legs too).
    const uint32_t home = partition_of(*filter.account, backend.partition_count()).value;
    if (!q->get("cursor")) cursor->partition = home;
    if (cursor->partition != home) return error_response(bad_cursor(*q->get("cursor")));
    last = home;
  }
  Result<json::object> o = walk<Transfer>(
      *cursor, last, *limit, "transfers",
      [&](uint32_t p, size_t want, std::optional<Timestamp> after) {
        return backend.list_transfers(Partition{p}, filter, want, after);
      },
      transfer_json);
  if (!o.ok()) return error_response(o.status());
  return json_response(200, *o);
}

}  // namespace tally::http
