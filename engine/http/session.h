// One HTTP connection of HttpServer (internal to engine/http). Reads a
// request, hands it to a worker, writes the answer, and repeats while the
// client keeps the connection alive. Owned by shared_ptrs held by its
// pending operations; all socket work runs on the connection's strand.
#pragma once

#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/http/router.h"
#include "engine/http/server.h"

namespace tally::http {

// What every session of one server shares.
struct ServerShared {
  Router& router;
  boost::asio::thread_pool& workers;
  const ServerOptions options;
  std::unique_ptr<Guard> guard;  // set once bound, before the first accept
  std::atomic<bool> stopping{false};
  std::atomic<size_t> connections{0};
  std::atomic<size_t> in_flight{0};  // requests read and not yet answered
  std::mutex clients_mu;
  std::unordered_map<std::string, size_t> per_client;  // open connections by client address

  // Counts a new connection from `client`; whether it is over a cap.
  bool admit(const std::string& client);
  void release(const std::string& client);
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // REQUIRES: `shared` outlives the session; shared.admit(client) was
  // called and said `limited` (over a cap: health and metrics only).
  Session(boost::asio::ip::tcp::socket&& socket, ServerShared& shared, std::string client, bool limited);
  ~Session();
  void run();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  void read_header();
  void on_header(boost::beast::error_code ec, size_t bytes);
  void read_body();
  void on_body(boost::beast::error_code ec, size_t bytes);
  void handle();
  void respond(Response response, bool keep_alive, bool any_path = true);
  void on_write(bool keep_alive, boost::beast::error_code ec, size_t bytes);
  // Answers without a handler and closes, reading what the client still sends.
  void reject(unsigned status, const std::string& message);
  void drain();
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  boost::beast::http::response<boost::beast::http::string_body> response_;
  unsigned version_ = 11;
  bool counted_ = false;  // this request is counted in in_flight
  size_t drained_ = 0;
  std::unique_ptr<char[]> drain_buffer_;
  ServerShared& shared_;
  const std::string client_;
  const bool limited_;
};

}  // namespace tally::http
