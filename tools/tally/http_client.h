// A small HTTP/1.1 client for the tools that talk to a running `tally serve`
// (tally query --http, tally produce --http): one kept-alive connection,
// one request at a time, every step bounded by a timeout. Not thread-safe.
// A POST says Content-Type: application/json; when $TALLY_API_KEY is set,
// every request carries "Authorization: Bearer $TALLY_API_KEY" (an
// environment variable, so the key does not show in `ps`).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/status.h"

namespace tally::cli {

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

class HttpClient {
 public:
  // `address` is HOST:PORT (see engine/http/address.h). Connects lazily.
  static Result<std::unique_ptr<HttpClient>> make(const std::string& address);
  ~HttpClient();

  // Sends the request and reads the reply; reconnects once if the server
  // had closed the kept-alive connection. unavailable when the server
  // cannot be reached, timeout when it does not answer within `timeout`.
  Result<HttpReply> request(std::string_view method, const std::string& target,
                            const std::string& body, std::chrono::milliseconds timeout);

  const std::string& address() const { return address_; }

 private:
  struct Impl;
  HttpClient(std::string address, std::unique_ptr<Impl> impl);
  Status connect(std::chrono::milliseconds timeout);
  Result<HttpReply> exchange(std::string_view method, const std::string& target,
                             const std::string& body, std::chrono::milliseconds timeout);

  std::string address_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::cli
