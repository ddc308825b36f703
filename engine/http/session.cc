#include "engine/http/session.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "engine/http/api_limits.h"

#include <iostream>

namespace tally::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {

constexpr size_t kDrainBufferBytes = 64u << 10;
constexpr size_t kMaxDrainBytes = 64u << 20;
constexpr std::chrono::seconds kDrainTimeout{5};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

RequestHeaders headers_of(const bhttp::request<bhttp::string_body>& req) {
  return RequestHeaders{.version = req.version(),
                        .host = std::string(req[bhttp::field::host]),
                        .origin = std::string(req[bhttp::field::origin]),
                        .content_type = std::string(req[bhttp::field::content_type]),
                        .authorization = std::string(req[bhttp::field::authorization]),
                        .cors_request_method = std::string(req[bhttp::field::access_control_request_method])};
}

bool is_health_or_metrics(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path == "/health" || path == "/metrics";
}

Response over_capacity(const ServerOptions& o) {
  Response r = error_response(503, "the server is at its connection limit (" + std::to_string(o.max_connections) +
                                       " in all, " + std::to_string(o.max_connections_per_client) +
                                       " per client address); retry shortly");
  r.headers = {{"Retry-After", "1"}};
  return r;
}

// The operator sees what the client was not shown.
void log_redacted(unsigned status, const std::string& body) {
  std::cerr << "tally serve: answered " << status << " with host paths hidden; the full answer: " << body
            << std::endl;
}

}  // namespace

bool ServerShared::admit(const std::string& client) {
  const size_t open = ++connections;
  std::lock_guard lock(clients_mu);
  const size_t mine = ++per_client[client];
  return open > options.max_connections || mine > options.max_connections_per_client;
}

void ServerShared::release(const std::string& client) {
  {
    std::lock_guard lock(clients_mu);
    auto it = per_client.find(client);
    if (it != per_client.end() && --it->second == 0) per_client.erase(it);
  }
  connections--;
}

Session::Session(asio::ip::tcp::socket&& socket, ServerShared& shared, std::string client, bool limited)
    : stream_(std::move(socket)), shared_(shared), client_(std::move(client)), limited_(limited) {}

Session::~Session() {
  if (counted_) shared_.in_flight--;
  shared_.release(client_);
}

void Session::run() {
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&Session::read_header, shared_from_this()));
}

void Session::read_header() {
  parser_.emplace();
  parser_->header_limit(kMaxHeaderBytes);
  parser_->body_limit(kMaxBodyBytes);
  const ServerOptions& o = shared_.options;
  const bool busy = shared_.connections.load() * 4 > o.max_connections * 3;
  stream_.expires_after(limited_ ? o.overflow_timeout : busy ? o.busy_idle_timeout : o.idle_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::on_header(beast::error_code ec, size_t) {
  if (ec == bhttp::error::body_limit) {
    return reject(413, "the body is over the limit of " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (ec == bhttp::error::header_limit) {
    return reject(431, "the request line and headers are over the limit of " +
                           std::to_string(kMaxHeaderBytes) + " bytes");
  }
  if (ec && is_parse_error(ec) && ec != bhttp::error::end_of_stream) {
    return reject(400, "malformed HTTP request: " + ec.message());
  }
  if (ec) return close();
  version_ = parser_->get().version();
  if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue") && !parser_->is_done()) {
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code e, size_t) {
                        if (e) return self->close();
                        self->read_body();
                      });
    return;
  }
  read_body();
}

void Session::read_body() {
  if (parser_->is_done()) return handle();
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::on_body, shared_from_this()));
}

void Session::on_body(beast::error_code ec, size_t) {
  if (ec == bhttp::error::body_limit) {
    return reject(413, "the body is over the limit of " + std::to_string(kMaxBodyBytes) + " bytes");
  }
  if (ec && is_parse_error(ec) && ec != bhttp::error::end_of_stream) {
    return reject(400, "malformed HTTP request: " + ec.message());
  }
  if (ec) return close();
  handle();
}

void Session::handle() {
  bhttp::request<bhttp::string_body> req = parser_->release();
  const bool keep_alive = req.keep_alive();
  counted_ = true;
  shared_.in_flight++;
  if (shared_.stopping) return respond(error_response(503, "the server is shutting down"), false);
  Request r{std::string(req.method_string()), std::string(req.target()), std::move(req.body()),
            std::string(req[bhttp::field::accept]), std::string(req["Last-Event-ID"])};
  RequestHeaders h = headers_of(req);
  if (limited_ && !(r.method == "GET" && is_health_or_metrics(r.target))) {
    shared_.router.count_unrouted(503);
    return respond(over_capacity(shared_.options), false);
  }
  if (std::optional<Response> refused = shared_.guard->check(r, h)) {
    shared_.router.count_unrouted(refused->status);
    return respond(std::move(*refused), keep_alive);
  }
  asio::post(shared_.workers, [self = shared_from_this(), r = std::move(r), h = std::move(h), keep_alive]() {
    Response response = self->shared_.router.handle(r);
    self->shared_.guard->decorate(h, response);
    // /metrics is the server's own figures; /health may quote a library.
    const bool any_path = response.status >= 400 || r.target.starts_with("/health");
    asio::post(self->stream_.get_executor(),
               [self, response = std::move(response), keep_alive, any_path]() mutable {
                 self->respond(std::move(response), keep_alive && !self->limited_, any_path);
               });
  });
}

void Session::respond(Response r, bool keep_alive, bool any_path) {
  response_ = {};
  response_.version(version_);
  response_.result(r.status);
  response_.set(bhttp::field::server, "tally");
  response_.set(bhttp::field::content_type, r.content_type);
  if (!r.allow.empty()) response_.set(bhttp::field::allow, r.allow);
  for (const auto& [name, value] : r.headers) response_.set(name, value);
  std::string body = redact(r.body, shared_.options.redact, any_path);
  if (body != r.body) log_redacted(r.status, r.body);
  response_.body() = std::move(body);
  response_.keep_alive(keep_alive && !shared_.stopping);
  response_.prepare_payload();
  stream_.expires_after(shared_.options.idle_timeout);
  bhttp::async_write(stream_, response_,
                     beast::bind_front_handler(&Session::on_write, shared_from_this(),
                                               response_.keep_alive()));
}

void Session::on_write(bool keep_alive, beast::error_code ec, size_t) {
  if (counted_) {
    counted_ = false;
    shared_.in_flight--;
  }
  if (ec) return close();
  if (drain_buffer_) return drain();
  if (!keep_alive) return close();
  read_header();
}

void Session::reject(unsigned status, const std::string& message) {
  drain_buffer_ = std::make_unique<char[]>(kDrainBufferBytes);
  shared_.router.count_unrouted(status);
  version_ = parser_->get().version() == 10 ? 10 : 11;
  respond(error_response(status, message), false);
}

// After a rejection: stop sending, read and drop what the client still
// sends (bounded in bytes and time), then close. Closing with unread bytes
// would reset the connection and could destroy the answer before the
// client reads it.
void Session::drain() {
  if (drained_ == 0) {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
  stream_.expires_after(kDrainTimeout);
  stream_.async_read_some(
      asio::buffer(drain_buffer_.get(), kDrainBufferBytes),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        self->drained_ += n + 1;
        if (ec || self->drained_ > kMaxDrainBytes) return self->close();
        self->drain();
      });
}

void Session::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace tally::http
