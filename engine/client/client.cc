// libtally-client: the Client over a serve's HTTP API, or over Kafka for
// the commands and HTTP for the outcomes (tally/client.h).
#include "tally/client.h"

#include <boost/json.hpp>
#include <span>

#include "engine/client/api.h"
#include "engine/client/client_json.h"
#include "engine/core/tally_limits.h"
#include "engine/core/u128.h"
#include "engine/json/command_json.h"
#include "engine/json/text.h"
#include "engine/log/kafka_log.h"
#include "engine/log/pack.h"

namespace tally::client {

std::string to_string(u128 v) { return tally::u128_to_string(v); }
std::optional<u128> parse_u128(std::string_view text) { return tally::parse_u128(text); }

namespace {
using detail::Api;
using detail::Clock;

class ClientImpl final : public Client {
 public:
  ClientImpl(Options options, std::unique_ptr<Api> api, std::unique_ptr<Log> kafka)
      : options_(std::move(options)), api_(std::move(api)), kafka_(std::move(kafka)) {}

  Result<std::vector<Outcome>> submit(const std::vector<Command>& commands) override {
    const Clock::time_point deadline = Clock::now() + options_.timeout;
    std::vector<Outcome> out;
    out.reserve(commands.size());
    for (size_t start = 0; start < commands.size(); start += options_.max_batch) {
      const size_t end = std::min(commands.size(), start + options_.max_batch);
      const std::span<const Command> chunk(commands.data() + start, end - start);
      auto placed = kafka_ ? append_kafka(chunk, deadline) : post(chunk, deadline);
      if (!placed.ok()) return placed.error();
      out.insert(out.end(), placed->begin(), placed->end());
    }
    // Outcomes not in the answers (Kafka; a 504's records) by position.
    auto waited = api_->wait_outcomes(out, deadline);
    if (!waited.ok()) return waited.error();
    return out;
  }

  Result<std::optional<Account>> account(u128 id) override {
    return get<Account>("/v1/accounts/" + to_string(id), detail::account_from_json);
  }
  Result<std::optional<Transfer>> transfer(u128 id) override {
    return get<Transfer>("/v1/transfers/" + to_string(id), detail::transfer_from_json);
  }

 private:
  // POST /v1/commands with wait: outcomes for the records applied in time
  // (a 504 keeps the placements, for wait_outcomes).
  Result<std::vector<Outcome>> post(std::span<const Command> chunk, Clock::time_point deadline) {
    boost::json::array list;
    for (const Command& c : chunk) list.push_back(command_to_json(detail::to_engine(c)));
    const boost::json::object body{{"commands", std::move(list)}, {"wait", true},
                                   {"timeout_ms", std::max<int64_t>(1, detail::ms_left(deadline, 60000))}};
    auto reply = api_->call("POST", "/v1/commands", json_text::serialize(body), deadline);
    if (!reply.ok()) return reply.error();
    if (reply->status != 200 && reply->status != 504) return detail::answer_error(*reply, "POST /v1/commands");
    auto v = detail::answer_json(*reply, "POST /v1/commands");
    if (!v.ok()) return v.error();
    auto outcomes = detail::outcomes_from_json(*v, chunk.size());
    if (!outcomes.ok()) return Error{reply->status, "POST /v1/commands: " + outcomes.status().message()};
    return std::move(outcomes).value();
  }

  // Routes and packs the commands as every producer does (engine/log/pack.h)
  // and appends them to the topic; placements only.
  Result<std::vector<Outcome>> append_kafka(std::span<const Command> chunk, Clock::time_point deadline) {
    std::vector<tally::Command> commands;
    commands.reserve(chunk.size());
    for (const Command& c : chunk) commands.push_back(detail::to_engine(c));
    const std::vector<PackedRecord> records =
        pack_routed(commands, kafka_->partition_count(), kafka_->max_record_bytes());
    std::vector<AppendRequest> requests;
    for (const PackedRecord& r : records) {
      requests.push_back({r.partition, std::span(reinterpret_cast<const uint8_t*>(r.key.bytes), 8), r.value});
    }
    auto offsets = kafka_->append_by(requests, deadline);
    if (!offsets.ok()) return Error{0, "appending to kafka: " + offsets.status().message()};
    std::vector<Outcome> out(chunk.size());
    for (size_t k = 0; k < records.size(); k++) {
      for (uint32_t i = 0; i < records[k].commands.size(); i++) {
        out[records[k].commands[i]] = Outcome{records[k].partition.value, (*offsets)[k].value, i, {}};
      }
    }
    return out;
  }

  template <class T, class Parse>
  Result<std::optional<T>> get(const std::string& target, Parse parse) {
    auto reply = api_->call("GET", target, "", Clock::now() + options_.timeout);
    if (!reply.ok()) return reply.error();
    if (reply->status == 404) return std::optional<T>();
    if (reply->status != 200) return detail::answer_error(*reply, "GET " + target);
    auto v = detail::answer_json(*reply, "GET " + target);
    if (!v.ok()) return v.error();
    auto parsed = parse(*v);
    if (!parsed.ok()) return Error{200, "GET " + target + ": " + parsed.status().message()};
    return std::optional<T>(std::move(parsed).value());
  }

  Options options_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<Log> kafka_;  // null: commands go over HTTP
};

}  // namespace

Result<std::unique_ptr<Client>> Client::connect(const Options& options) {
  if (options.max_batch < 1 || options.max_batch > limits::kMaxCommandsPerRequest) {
    return Error{0, "options.max_batch: " + std::to_string(options.max_batch) + " is outside 1.." +
                        std::to_string(limits::kMaxCommandsPerRequest)};
  }
  if (options.timeout <= std::chrono::milliseconds(0)) return Error{0, "options.timeout: must be positive"};
  auto api = Api::make(options);
  if (!api.ok()) return api.error();
  std::unique_ptr<Log> kafka;
  if (!options.kafka_brokers.empty()) {
    auto log = open_kafka_log({.bootstrap = options.kafka_brokers, .topic = options.kafka_topic,
                               .metadata_timeout = options.timeout});
    if (!log.ok()) return Error{0, "options.kafka_brokers: " + log.status().message()};
    kafka = std::move(log).value();
  }
  return std::unique_ptr<Client>(new ClientImpl(options, std::move(api).value(), std::move(kafka)));
}

Result<size_t> Producer::add(Command command) {
  queue_.push_back(std::move(command));
  const size_t position = done_.size() + queue_.size() - 1;
  if (queue_.size() < max_batch_) return position;
  if (auto sent = send(); !sent.ok()) return sent.error();
  return position;
}

Result<std::vector<Outcome>> Producer::flush() {
  if (auto sent = send(); !sent.ok()) return sent.error();
  return std::exchange(done_, {});
}

Result<bool> Producer::send() {
  if (queue_.empty()) return true;
  auto sent = client_.submit(queue_);
  if (!sent.ok()) return sent.error();  // the queue stays, for a retry
  done_.insert(done_.end(), sent->begin(), sent->end());
  queue_.clear();
  return true;
}

}  // namespace tally::client
