// The client library's mapping between its public types (tally/client.h)
// and the engine's: commands to the engine's Command (so the JSON and the
// wire encodings are the engine's own), and the API's JSON answers to
// Account, Transfer and Outcome values.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <vector>

#include "engine/core/command.h"
#include "engine/core/status.h"
#include "tally/client.h"

namespace tally::client::detail {

tally::Command to_engine(const Command& command);

// An answer of GET /v1/accounts/{id} or GET /v1/transfers/{id}.
tally::Result<Account> account_from_json(const boost::json::value& json);
tally::Result<Transfer> transfer_from_json(const boost::json::value& json);

// The "results" of a POST /v1/commands answer, one per command sent.
tally::Result<std::vector<Outcome>> outcomes_from_json(const boost::json::value& json, size_t expected);

// The "outcomes" of a GET /v1/offsets/{p}/{o} answer.
tally::Result<std::vector<std::string>> offset_outcomes_from_json(const boost::json::value& json);

// The "error" text of an answer's body; the body itself when it has none.
std::string error_text(const std::string& body);

}  // namespace tally::client::detail
