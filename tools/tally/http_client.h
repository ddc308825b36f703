// The HTTP client of the tools that talk to a running `tally serve` (tally
// query --http, tally produce --http, tally replay --switch-in --http): the
// engine's client (engine/http/client.h) on one kept-alive connection that
// it replaces when the server closed it. A POST says Content-Type:
// application/json; when $TALLY_API_KEY is set, every request carries
// "Authorization: Bearer $TALLY_API_KEY" (an environment variable, so the
// key does not show in `ps`).
#pragma once

#include <memory>
#include <string>

#include "engine/core/status.h"
#include "engine/http/client.h"

namespace tally::cli {

using HttpReply = http::ClientReply;

// `address` is HOST:PORT (see engine/http/address.h). Connects lazily.
Result<std::unique_ptr<http::Client>> api_client(const std::string& address);

}  // namespace tally::cli
