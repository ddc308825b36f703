// Status and Result<T>: errors as values.
//
// Every operation that can fail in normal operation (bad input, a broker that
// is down, a full disk) returns a Status or a Result<T>. Programmer errors are
// assertions instead. Both types are [[nodiscard]]: ignoring one is a
// compile error under -Werror.
//
// A Status carries a code, which callers branch on (retry or stop), and a
// message for people, which names the offending value and any limit.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tally {

enum class StatusCode : int {
  ok = 0,
  invalid_argument,   // bad input from a caller; retrying will not help
  not_found,          // an id or key that does not exist
  corruption,         // stored or received bytes that fail verification
  io_error,           // the disk failed a read or write
  unavailable,        // a remote part (broker) cannot be reached; retryable
  timeout,            // a deadline passed; retryable
  resource_exhausted, // a limit was hit (queue, body size, disk full)
  aborted,            // the operation was stopped (shutdown)
  failed_precondition,// the system is not in a state that allows this
  internal,           // a bug; the message says where
  overloaded,         // the node has too much in flight to take more now; retry after a moment
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::invalid_argument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::not_found, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::corruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::io_error, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::unavailable, std::move(m)}; }
  static Status Timeout(std::string m) { return {StatusCode::timeout, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::resource_exhausted, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::aborted, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::failed_precondition, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::internal, std::move(m)}; }
  static Status Overloaded(std::string m) { return {StatusCode::overloaded, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::ok; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Whether the same call may succeed later without any change of input.
  bool retryable() const {
    return code_ == StatusCode::unavailable || code_ == StatusCode::timeout ||
           code_ == StatusCode::resource_exhausted || code_ == StatusCode::overloaded;
  }
  // "code: message", or "ok".
  std::string to_string() const;

  // Prefixes the message with context: "reading partition 3: <message>".
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

// A value or an error. REQUIRES: value() only when ok(); status() any time.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {           // NOLINT
    assert(!std::get<Status>(v_).ok() && "a Result error must not be ok");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T& value() & { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace tally

// Returns early with the error of a Status or Result expression.
#define TALLY_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::tally::Status tally_status_ = (expr);        \
    if (!tally_status_.ok()) return tally_status_; \
  } while (0)

#define TALLY_CONCAT_INNER(a, b) a##b
#define TALLY_CONCAT(a, b) TALLY_CONCAT_INNER(a, b)
#define TALLY_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
// `TALLY_ASSIGN_OR_RETURN(auto x, f());` binds x to the value or returns the error.
#define TALLY_ASSIGN_OR_RETURN(lhs, expr) \
  TALLY_ASSIGN_OR_RETURN_IMPL(TALLY_CONCAT(tally_result_, __LINE__), lhs, expr)
