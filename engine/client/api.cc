#include "engine/client/api.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <map>
#include <thread>

#include "engine/client/client_json.h"

namespace tally::client::detail {
namespace {

// A Retry-After of whole seconds, bounded to [0.1 s, 5 s] so a client keeps
// asking while the deadline allows; 1 s when absent or unreadable.
std::chrono::milliseconds retry_after(const http::ClientReply& reply) {
  const std::string v = reply.header("Retry-After");
  uint64_t seconds = 1;
  if (v.empty() || std::from_chars(v.data(), v.data() + v.size(), seconds).ec != std::errc{}) seconds = 1;
  return std::clamp(std::chrono::milliseconds(seconds * 1000), std::chrono::milliseconds(100),
                    std::chrono::milliseconds(5000));
}

}  // namespace

int64_t ms_left(Clock::time_point deadline, int64_t cap) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return std::clamp<int64_t>(left, 0, cap);
}

Error answer_error(const http::ClientReply& reply, std::string_view what) {
  return Error{reply.status, std::string(what) + ": " + error_text(reply.body)};
}

Result<boost::json::value> answer_json(const http::ClientReply& reply, std::string_view what) {
  std::error_code ec;
  boost::json::value v = boost::json::parse(reply.body, ec);
  if (ec) return Error{reply.status, std::string(what) + ": the answer is not JSON"};
  return v;
}

Result<std::unique_ptr<Api>> Api::make(const Options& options) {
  http::ClientOptions co;
  co.headers.emplace_back("User-Agent", "tally-client");
  if (!options.api_key.empty()) co.headers.emplace_back("Authorization", "Bearer " + options.api_key);
  auto http = http::Client::make(options.http, std::move(co));
  if (!http.ok()) return Error{0, "options.http: " + http.status().message()};
  return std::unique_ptr<Api>(new Api(std::move(http).value()));
}

Result<http::ClientReply> Api::call(std::string_view method, const std::string& target, const std::string& body,
                                    Clock::time_point deadline) {
  for (;;) {
    // A little past the deadline, so a server that answers at its own
    // deadline (a wait's 504) is still heard.
    const auto budget = std::chrono::milliseconds(ms_left(deadline, INT64_MAX) + 2000);
    auto reply = http_->request(method, target, body, budget);
    if (!reply.ok()) return Error{0, std::string(method) + " " + target + ": " + reply.status().message()};
    const unsigned status = reply->status;
    if (status != 503 && status != 429) return std::move(reply).value();
    const auto pause = retry_after(*reply);
    if (Clock::now() + pause >= deadline) return answer_error(*reply, "gave up at the deadline");
    std::this_thread::sleep_for(pause);
  }
}

Result<bool> Api::wait_outcomes(std::vector<Outcome>& outcomes, Clock::time_point deadline) {
  // The commands still without an outcome, by record.
  std::map<std::pair<uint32_t, uint64_t>, std::vector<size_t>> waiting;
  for (size_t i = 0; i < outcomes.size(); i++) {
    if (outcomes[i].outcome.empty()) waiting[{outcomes[i].partition, outcomes[i].offset}].push_back(i);
  }
  for (const auto& [where, indices] : waiting) {
    const std::string target = "/v1/offsets/" + std::to_string(where.first) + "/" + std::to_string(where.second);
    for (;;) {
      auto reply = call("GET", target + "?wait_ms=" + std::to_string(ms_left(deadline, 60000)), "", deadline);
      if (!reply.ok()) return reply.error();
      if (reply->status == 504 && ms_left(deadline, 1) > 0) continue;
      if (reply->status != 200) return answer_error(*reply, "waiting for " + target);
      auto v = answer_json(*reply, target);
      if (!v.ok()) return v.error();
      auto list = offset_outcomes_from_json(*v);
      if (!list.ok()) return Error{200, target + ": " + list.status().message()};
      for (size_t i : indices) {
        if (outcomes[i].index >= list->size()) return Error{200, target + ": fewer outcomes than commands"};
        outcomes[i].outcome = (*list)[outcomes[i].index];
      }
      break;
    }
  }
  return true;
}

}  // namespace tally::client::detail
