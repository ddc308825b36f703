// The client library's access to a serve's HTTP API: one kept-alive
// connection (engine/http/client.h), every call bounded by a deadline, and
// the answers that mean "not now" (503, 429) retried after their
// Retry-After until the deadline. Also the waits by position that both
// transports use to learn outcomes.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "engine/http/client.h"
#include "tally/client.h"

namespace tally::client::detail {

using Clock = std::chrono::steady_clock;

class Api {
 public:
  static Result<std::unique_ptr<Api>> make(const Options& options);

  // The reply (any status but 503 and 429, which are retried while the
  // deadline allows), or an Error with no status when the server could not
  // be reached or did not answer in time.
  Result<http::ClientReply> call(std::string_view method, const std::string& target, const std::string& body,
                                 Clock::time_point deadline);

  // Fills in the empty `outcome`s of `outcomes` by asking the records'
  // positions (GET /v1/offsets/P/O?wait_ms=...) until the deadline. An
  // Error names the first record still not applied.
  Result<bool> wait_outcomes(std::vector<Outcome>& outcomes, Clock::time_point deadline);

 private:
  explicit Api(std::unique_ptr<http::Client> http) : http_(std::move(http)) {}
  std::unique_ptr<http::Client> http_;
};

// The milliseconds left until `deadline` (0 when past), at most `cap`.
int64_t ms_left(Clock::time_point deadline, int64_t cap);

// An Error from an answer: its status and the server's error text.
Error answer_error(const http::ClientReply& reply, std::string_view what);

// An answer's body as JSON, or an Error naming `what` (the request).
Result<boost::json::value> answer_json(const http::ClientReply& reply, std::string_view what);

}  // namespace tally::client::detail
