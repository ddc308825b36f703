// The API's route handlers (internal to engine/http; the router calls them).
// Each checks its own query parameters and answers with JSON; errors become
// {"error": ...} with the status of response.h. Called from many threads.
#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <string_view>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/http/backend.h"
#include "engine/http/response.h"

namespace tally::http {

struct RouteArgs {
  std::vector<std::string> captures;  // the {id}-like path segments, in order
  std::vector<std::pair<std::string, std::string>> query;
  const std::string& body;
  std::string_view accept{};         // the Accept header
  std::string_view last_event_id{};  // the Last-Event-ID header (an EventSource resuming)
};

using Handler = Response (*)(Backend& backend, const RouteArgs& args);

// Which partitions a route's answer comes from, so that a member of a
// consumer group answers only for the partitions it owns
// (handlers_owner.cc; docs/http-api.md "Partitions owned elsewhere").
enum class Scope {
  none,       // no partition's data (health, metrics; commands decide per result)
  account,    // the partition of the account id in the first path segment
  partition,  // the partition number in the first path segment
  search,     // one partition, found by looking (a transfer by id)
  every,      // every partition's (pending transfers, stuck operations)
};

// Before the handler: the answer for a request on a partition owned
// elsewhere (421 naming the owner, or 503 when none is known), or nullopt
// to go on. Path segments that do not parse are left to the handler.
std::optional<Response> misdirected(Backend& backend, Scope scope,
                                    const std::vector<std::string>& captures);
// After the handler: a 404 of a `search` route from a member that does not
// own every partition becomes 421 listing the owners of the others; a 200
// of an `every` route gains "elsewhere": the partitions it leaves out and
// their owners.
Response elsewhere(Backend& backend, Scope scope, Response answered);

// The body as a JSON object with exactly the fields `known` allows;
// invalid_argument showing `example` otherwise (handlers_admin.cc).
Result<boost::json::object> parse_body_object(const std::string& body, std::initializer_list<std::string_view> known,
                                              std::string_view example);

Response post_commands(Backend& backend, const RouteArgs& args);
Response get_account(Backend& backend, const RouteArgs& args);
Response get_transfer(Backend& backend, const RouteArgs& args);
Response get_history(Backend& backend, const RouteArgs& args);
Response get_balance(Backend& backend, const RouteArgs& args);
Response get_pending(Backend& backend, const RouteArgs& args);
// List queries (handlers_lists.cc; docs/queries.md).
Response get_accounts_list(Backend& backend, const RouteArgs& args);
Response get_transfers_list(Backend& backend, const RouteArgs& args);
// The change stream (handlers_events.cc; docs/events.md).
Response get_events(Backend& backend, const RouteArgs& args);
Response get_offset(Backend& backend, const RouteArgs& args);
Response get_health(Backend& backend, const RouteArgs& args);
Response get_stuck(Backend& backend, const RouteArgs& args);
Response post_rebuild(Backend& backend, const RouteArgs& args);
Response post_checkpoint(Backend& backend, const RouteArgs& args);
// Webhook endpoints (handlers_webhooks.cc; docs/webhooks.md).
Response post_webhook(Backend& backend, const RouteArgs& args);
Response get_webhooks(Backend& backend, const RouteArgs& args);
Response delete_webhook(Backend& backend, const RouteArgs& args);
Response get_saga(Backend& backend, const RouteArgs& args);
// A transfer's JSON; for the debit side of a cross-partition transfer also
// "saga":{"state":..,"result":..} (its saga, where the backend has it).
boost::json::object transfer_with_saga(Backend& backend, const Transfer& t);
Response get_transit(Backend& backend, const RouteArgs& args);

}  // namespace tally::http
