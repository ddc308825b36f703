// Tally's C++ client library (libtally-client; `pkg-config tally-client`).
//
// A Client sends ledger commands to Tally and reads what they did:
//   - over HTTP (the default): POST /v1/commands to a `tally serve`, which
//     routes them to their partitions; the client waits for the outcomes;
//   - over Kafka (Options::kafka_brokers set): the client routes and packs
//     the commands itself (the partitioner every Tally producer uses) and
//     appends them to the commands topic; it then waits for their outcomes
//     by position from a serve that consumes the topic (Options::http).
// Queries (accounts, balances, transfers) always go to the serve's HTTP API.
//
// Every call is bounded by Options::timeout. A 503 (the log unavailable) or
// a 429 (the node full) is retried after the server's Retry-After until the
// timeout: a command is identified by its id, so sending it again is safe
// (one already stored is answered "exists"). A rejection is an outcome, not
// an error.
//
// This header uses the standard library only. A Client is not thread-safe:
// use one per thread (each holds one connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tally::client {

using u128 = unsigned __int128;

// Decimal text of a u128, and back (nullopt for anything but 1..39 digits
// that fit).
std::string to_string(u128 v);
std::optional<u128> parse_u128(std::string_view text);

// What went wrong. `http_status` is the server's answer (0: no answer, e.g.
// the connection failed or the timeout passed first); `message` is the
// server's error text or the client's own.
struct Error {
  unsigned http_status = 0;
  std::string message;
};

// A value or an Error.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Flag bits, as in docs/http-api.md "Commands".
namespace account_flags {
inline constexpr uint16_t linked = 1u << 0;
inline constexpr uint16_t debits_must_not_exceed_credits = 1u << 1;
inline constexpr uint16_t credits_must_not_exceed_debits = 1u << 2;
inline constexpr uint16_t history = 1u << 3;
inline constexpr uint16_t closed = 1u << 5;
}  // namespace account_flags
namespace transfer_flags {
inline constexpr uint16_t linked = 1u << 0;
inline constexpr uint16_t pending = 1u << 1;
inline constexpr uint16_t post_pending = 1u << 2;
inline constexpr uint16_t void_pending = 1u << 3;
inline constexpr uint16_t balancing_debit = 1u << 4;
inline constexpr uint16_t balancing_credit = 1u << 5;
inline constexpr uint16_t closing_debit = 1u << 6;
inline constexpr uint16_t closing_credit = 1u << 7;
}  // namespace transfer_flags

struct NewAccount {
  u128 id = 0;
  uint32_t ledger = 0;
  uint16_t code = 0;
  uint16_t flags = 0;
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
};

struct NewTransfer {
  u128 id = 0;
  u128 debit_account_id = 0;
  u128 credit_account_id = 0;
  u128 amount = 0;
  u128 pending_id = 0;          // for post_pending / void_pending
  uint32_t ledger = 0;
  uint16_t code = 0;
  uint16_t flags = 0;
  uint32_t timeout_seconds = 0;  // pending transfers
  u128 user_data_128 = 0;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
};

using Command = std::variant<NewAccount, NewTransfer>;

// Where a command went and what it did. `outcome` is "created", "exists" or
// a rejection code (docs/outcomes.md); empty when it is not known (see
// Client::submit).
struct Outcome {
  uint32_t partition = 0;
  uint64_t offset = 0;
  uint32_t index = 0;  // the command's place in its record
  std::string outcome;
  // "created" or "exists": the command holds.
  bool accepted() const { return outcome == "created" || outcome == "exists"; }
};

struct Balances {
  u128 debits_pending = 0;
  u128 debits_posted = 0;
  u128 credits_pending = 0;
  u128 credits_posted = 0;
};

struct Account {
  NewAccount fields;
  Balances balances;
  uint64_t timestamp = 0;  // when its create_account applied
  std::string outcome;     // "created", or the rejection its id got
};

struct Transfer {
  NewTransfer fields;
  uint64_t timestamp = 0;
  std::string outcome;  // "created", or the rejection its id got
  std::string state;    // "posted", "pending", "voided", "expired", ... ("" when rejected)
};

struct Options {
  std::string http = "127.0.0.1:8080";  // the serve: HOST:PORT
  std::string api_key;                  // sent as "Authorization: Bearer KEY" when set
  // Kafka underneath: "HOST:PORT[,HOST:PORT...]"; empty: commands go over HTTP.
  std::string kafka_brokers;
  std::string kafka_topic = "tally.commands";
  std::chrono::milliseconds timeout{30000};  // each call's whole budget
  size_t max_batch = 8189;                   // commands per request or record (1..8,189)
};

class Client {
 public:
  // Checks the options and, for Kafka, opens the producer (reading the
  // topic's partition count). The HTTP connection opens on first use.
  static Result<std::unique_ptr<Client>> connect(const Options& options);
  virtual ~Client() = default;

  // Sends `commands` in order, in batches of at most max_batch, and waits
  // for each one's outcome. The result has one Outcome per command, in the
  // order given. An Error means the commands may or may not have been
  // stored: send the same ones again (duplicates answer "exists").
  virtual Result<std::vector<Outcome>> submit(const std::vector<Command>& commands) = 0;

  // nullopt: the id was never seen.
  virtual Result<std::optional<Account>> account(u128 id) = 0;
  virtual Result<std::optional<Transfer>> transfer(u128 id) = 0;
};

// Batches commands for a Client: add() queues one (and sends the queue when
// it holds max_batch), flush() sends what is queued. Outcomes come back in
// the order the commands were added, across sends.
class Producer {
 public:
  explicit Producer(Client& client, size_t max_batch = 8189) : client_(client), max_batch_(max_batch) {}
  // An Error from an automatic send; the queue is kept for a retry by flush().
  Result<size_t> add(Command command);
  Result<std::vector<Outcome>> flush();
  size_t queued() const { return queue_.size(); }

 private:
  Result<bool> send();  // submits the queue, keeping it on an Error
  Client& client_;
  size_t max_batch_;
  std::vector<Command> queue_;
  std::vector<Outcome> done_;
};

}  // namespace tally::client
