#include "engine/http/server.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <thread>
#include <vector>

#include "engine/http/session.h"

namespace tally::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Members are destroyed in reverse order: the io_context (and the sessions
// its pending handlers own) before the worker pool and the shared state.
struct HttpServer::Impl {
  Impl(Router& router, ServerOptions options)
      : workers(options.worker_threads),
        shared{router, workers, std::move(options)},
        io(static_cast<int>(shared.options.io_threads)),
        work(asio::make_work_guard(io)),
        acceptor(asio::make_strand(io)) {}

  Status bind();
  void accept();
  void admit(tcp::socket s);
  void stop();

  asio::thread_pool workers;
  ServerShared shared;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;
  tcp::endpoint bound;  // set by bind()
  std::vector<std::thread> threads;
  bool stopped = false;
};

Status HttpServer::Impl::bind() {
  const HostPort& want = shared.options.listen;
  const std::string where = format_host_port(want);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(want.host, std::to_string(want.port),
                                          tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::InvalidArgument("cannot resolve " + where + ": " + ec.message());
  }
  const tcp::endpoint endpoint = *endpoints.begin();
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return Status::Unavailable("opening a socket for " + where + ": " + ec.message());
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) return Status::Unavailable("binding " + where + ": " + ec.message());
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::Unavailable("listening on " + where + ": " + ec.message());
  }
  bound = acceptor.local_endpoint(ec);
  return Status::Ok();
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) admit(std::move(s));
    accept();
  });
}

// A new connection: served, served health only (over a cap), or beyond
// every allowance answered 503 without reading and closed.
void HttpServer::Impl::admit(tcp::socket s) {
  boost::system::error_code ec;
  const ServerOptions& o = shared.options;
  if (shared.stopping || shared.connections.load() >= o.max_connections + o.overflow_connections) {
    static constexpr std::string_view kFull =
        "HTTP/1.1 503 Service Unavailable\r\nServer: tally\r\nContent-Type: application/json\r\n"
        "Retry-After: 1\r\nConnection: close\r\nContent-Length: 68\r\n\r\n"
        "{\"error\":\"the server takes no more connections now; retry shortly\"}\n";
    s.non_blocking(true, ec);
    s.write_some(asio::buffer(kFull.data(), kFull.size()), ec);
    s.shutdown(tcp::socket::shutdown_send, ec);
    s.close(ec);
    return;
  }
  const tcp::endpoint peer = s.remote_endpoint(ec);
  if (ec) return;  // already gone
  std::string client = peer.address().to_string();
  const bool limited = shared.admit(client);
  std::make_shared<Session>(std::move(s), shared, std::move(client), limited)->run();
}

void HttpServer::Impl::stop() {
  if (stopped) return;
  stopped = true;
  shared.stopping = true;
  asio::post(acceptor.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor.close(ignored);
  });
  const auto deadline = std::chrono::steady_clock::now() + shared.options.shutdown_grace;
  while (shared.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  work.reset();
  io.stop();
  for (std::thread& t : threads) t.join();
  threads.clear();
  workers.join();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(Router& router, ServerOptions options) {
  auto impl = std::make_unique<Impl>(router, std::move(options));
  TALLY_RETURN_IF_ERROR(impl->bind());
  impl->shared.guard = std::make_unique<Guard>(
      impl->shared.options.guard, HostPort{impl->bound.address().to_string(), impl->bound.port()});
  impl->accept();
  for (size_t i = 0; i < impl->shared.options.io_threads; i++) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HostPort HttpServer::local_address() const {
  return HostPort{impl_->bound.address().to_string(), impl_->bound.port()};
}

void HttpServer::stop() { impl_->stop(); }

}  // namespace tally::http
