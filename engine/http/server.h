// HttpServer: serves a Router over HTTP/1.1 (Boost.Beast on Asio), with
// keep-alive and one request at a time per connection.
//
// Threads: `io_threads` run the sockets (accept, read, write); handlers run
// on a separate fixed pool of `worker_threads`, so a request that waits for
// outcomes (POST with "wait", ?wait_ms=) holds a worker, never a socket
// thread. Requests beyond the workers queue in arrival order.
//
// Limits: headers (431), body (413, answered as soon as the header announces
// it, then the rest is read and dropped so the client sees the answer),
// idle connections (closed after `idle_timeout`), open connections (new
// ones beyond `max_connections` are closed at once).
//
// Thread safety: start/stop/local_address from one controlling thread.
#pragma once

#include <chrono>
#include <memory>

#include "engine/http/address.h"
#include "engine/http/router.h"

namespace tally::http {

struct ServerOptions {
  HostPort listen{"127.0.0.1", 8080};  // port 0: any free port (see local_address)
  size_t io_threads = 2;
  size_t worker_threads = 8;
  size_t max_connections = 1024;
  // A connection that sends no complete request for this long is closed.
  std::chrono::seconds idle_timeout{60};
  // stop() lets requests in progress finish for at most this long.
  std::chrono::seconds shutdown_grace{15};
};

class HttpServer {
 public:
  // Binds and starts serving. REQUIRES: `router` outlives the server.
  // unavailable (naming the address) when it cannot bind.
  static Result<std::unique_ptr<HttpServer>> start(Router& router, ServerOptions options);
  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address (the real port when asked for port 0).
  HostPort local_address() const;
  // Stops accepting, answers new requests on open connections with 503,
  // waits (up to shutdown_grace) for requests in progress, then closes
  // every connection and joins the threads. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tally::http
