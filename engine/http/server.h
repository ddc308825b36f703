// HttpServer: serves a Router over HTTP/1.1 (Boost.Beast on Asio), with
// keep-alive and one request at a time per connection.
//
// Threads: `io_threads` run the sockets (accept, read, write); handlers run
// on a separate fixed pool of `worker_threads`, so a request that waits for
// outcomes (POST with "wait", ?wait_ms=) holds a worker, never a socket
// thread. Requests beyond the workers queue in arrival order.
//
// Before routing, each request passes the guard (guard.h: Host, Origin,
// API key, Content-Type); every answer's body passes redact() (redact.h)
// and what that hid goes to the operator's log.
//
// Limits: headers (431), body (413, answered as soon as the header announces
// it, then the rest is read and dropped so the client sees the answer),
// idle and slow connections (closed after `idle_timeout`, sooner when the
// server is near its cap), open connections (see ServerOptions).
//
// Thread safety: start/stop/local_address from one controlling thread.
#pragma once

#include <chrono>
#include <memory>

#include "engine/core/tally_limits.h"
#include "engine/http/address.h"
#include "engine/http/guard.h"
#include "engine/http/redact.h"
#include "engine/http/router.h"

namespace tally::http {

struct ServerOptions {
  HostPort listen{"127.0.0.1", 8080};  // port 0: any free port (see local_address)
  size_t io_threads = 2;
  size_t worker_threads = 8;
  // Open connections: up to max_connections in all and
  // max_connections_per_client from one client address are served in full.
  // A connection beyond either is served only GET /health and GET /metrics
  // (so both answer under a flood) and answers anything else 503 with
  // Retry-After; it is closed after one request, or after
  // `overflow_timeout` without one. Beyond max_connections +
  // overflow_connections a connection is answered 503 at once and closed.
  // Defaults and units: engine/core/tally_limits.h.
  size_t max_connections = limits::kDefaultMaxConnections;
  size_t max_connections_per_client = limits::kDefaultMaxConnectionsPerClient;
  size_t overflow_connections = limits::kDefaultOverflowConnections;
  std::chrono::seconds overflow_timeout = limits::kDefaultOverflowTimeout;
  // A connection that sends no complete request for this long is closed;
  // `busy_idle_timeout` instead when over 3/4 of max_connections are open.
  std::chrono::seconds idle_timeout = limits::kDefaultIdleTimeout;
  std::chrono::seconds busy_idle_timeout = limits::kDefaultBusyIdleTimeout;
  // stop() lets requests in progress finish for at most this long.
  std::chrono::seconds shutdown_grace = limits::kDefaultShutdownGrace;
  // Host, Origin, Content-Type and API key checks (guard.h).
  GuardOptions guard;
  // Directories whose paths answers show by label (redact.h); any other
  // absolute path in an error answer or /health shows as "<path>".
  std::vector<Redaction> redact;
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
