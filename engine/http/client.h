// A small synchronous HTTP/1.1 client (Boost.Beast) for speaking to a
// `tally serve`: one connection, one request at a time, every step bounded
// by a timeout. The tools' client (tools/tally/http_client.h) and the tests'
// (tests/fixtures/http_client.h) are thin layers over it. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/status.h"

namespace tally::http {

using Header = std::pair<std::string, std::string>;

// The value of header `name` in `headers` (case-insensitive); "" when absent.
std::string find_header(const std::vector<Header>& headers, std::string_view name);

struct ClientReply {
  unsigned status = 0;
  std::string body;
  bool keep_alive = false;      // the server keeps the connection open
  std::vector<Header> headers;  // as received
  std::string header(std::string_view name) const { return find_header(headers, name); }
};

struct ClientOptions {
  // The Host header; empty: the address as given to make().
  std::string host;
  // Headers every request carries (User-Agent, Authorization, ...). A POST,
  // or any request with a body, also says Content-Type: application/json
  // unless a header of the request's names another.
  std::vector<Header> headers;
  uint64_t max_reply_bytes = 1ull << 30;  // far above any answer the API gives
  // Whether a request on a kept-alive connection that the server closed
  // meanwhile is sent again on a fresh one (requests to the API are
  // idempotent: commands are answered exists), and a connection the server
  // said it closes is replaced before the next request. Off: the client
  // never reconnects, so a test sees what the server did to the connection.
  bool reconnect = true;
};

class Client {
 public:
  // `address` is HOST:PORT (engine/http/address.h). Connects lazily.
  static Result<std::unique_ptr<Client>> make(const std::string& address, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects now (replacing any connection). unavailable when the server
  // cannot be reached.
  Status connect(std::chrono::milliseconds timeout);

  // Sends the request (any method, `extra` headers after the options' own,
  // replacing those of the same name) and reads the reply. unavailable when
  // the server cannot be reached or drops the connection, timeout when it
  // does not answer within `timeout`. A server that answers before it has
  // read the whole request (413) is still heard.
  Result<ClientReply> request(std::string_view method, const std::string& target, const std::string& body,
                              std::chrono::milliseconds timeout, const std::vector<Header>& extra = {},
                              bool keep_alive = true);
  // Writes `bytes` as they are and reads one reply (for malformed requests).
  Result<ClientReply> raw(const std::string& bytes, std::chrono::milliseconds timeout);
  // Whether the server has closed the connection: a read sees its end
  // within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout);

  const std::string& address() const { return address_; }

 private:
  struct Impl;
  Client(std::string address, ClientOptions options, std::unique_ptr<Impl> impl);
  Result<ClientReply> exchange(std::string_view method, const std::string& target, const std::string& body,
                               std::chrono::milliseconds timeout, const std::vector<Header>& extra,
                               bool keep_alive);

  std::string address_;
  ClientOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::http
