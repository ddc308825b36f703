#include "engine/http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "engine/http/address.h"

namespace tally::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

struct Client::Impl {
  HostPort host;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  bool server_closes = false;  // the last reply said Connection: close

  // Runs the queued operations; a stream timeout surfaces as their error.
  void run() {
    io.restart();
    io.run();
  }
};

namespace {

// A write the server cut short by answering first (413) and closing.
bool cut_short(const error_code& ec) {
  return ec == asio::error::broken_pipe || ec == asio::error::connection_reset;
}

bool has_header(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (beast::iequals(h.first, name)) return true;
  }
  return false;
}

ClientReply reply_of(bhttp::response<bhttp::string_body>& res) {
  ClientReply r{res.result_int(), std::move(res.body()), res.keep_alive(), {}};
  for (const auto& f : res) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
  return r;
}

}  // namespace

std::string find_header(const std::vector<Header>& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return "";
}

Client::Client(std::string address, ClientOptions options, std::unique_ptr<Impl> impl)
    : address_(std::move(address)), options_(std::move(options)), impl_(std::move(impl)) {}

Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::make(const std::string& address, ClientOptions options) {
  TALLY_ASSIGN_OR_RETURN(HostPort hp, parse_host_port(address));
  auto impl = std::make_unique<Impl>();
  impl->host = hp;
  return std::unique_ptr<Client>(new Client(format_host_port(hp), std::move(options), std::move(impl)));
}

Status Client::connect(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  error_code ec;
  tcp::resolver resolver(i.io);
  const auto endpoints = resolver.resolve(i.host.host, std::to_string(i.host.port), ec);
  if (ec) return Status::Unavailable("cannot resolve " + address_ + ": " + ec.message());
  i.stream.emplace(i.io);
  i.buffer.clear();
  i.server_closes = false;
  i.stream->expires_after(timeout);
  i.stream->async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
  i.run();
  if (ec) {
    i.stream.reset();
    return Status::Unavailable("cannot connect to tally serve at " + address_ + ": " + ec.message());
  }
  return Status::Ok();
}

Result<ClientReply> Client::request(std::string_view method, const std::string& target, const std::string& body,
                                    std::chrono::milliseconds timeout, const std::vector<Header>& extra,
                                    bool keep_alive) {
  const bool reused = impl_->stream.has_value() && !(options_.reconnect && impl_->server_closes);
  if (!reused) TALLY_RETURN_IF_ERROR(connect(timeout));
  Result<ClientReply> r = exchange(method, target, body, timeout, extra, keep_alive);
  // A kept-alive connection the server closed meanwhile fails at once.
  if (!r.ok() && reused && options_.reconnect && r.status().code() == StatusCode::unavailable) {
    TALLY_RETURN_IF_ERROR(connect(timeout));
    return exchange(method, target, body, timeout, extra, keep_alive);
  }
  return r;
}

Result<ClientReply> Client::exchange(std::string_view method, const std::string& target, const std::string& body,
                                     std::chrono::milliseconds timeout, const std::vector<Header>& extra,
                                     bool keep_alive) {
  Impl& i = *impl_;
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
  if (req.method() == bhttp::verb::unknown) req.method_string(method);
  req.set(bhttp::field::host, options_.host.empty() ? address_ : options_.host);
  if ((!body.empty() || method == "POST") && !has_header(extra, "Content-Type")) {
    req.set(bhttp::field::content_type, "application/json");
  }
  for (const auto& [name, value] : options_.headers) req.set(name, value);
  for (const auto& [name, value] : extra) req.set(name, value);
  req.body() = body;
  req.keep_alive(keep_alive);
  req.prepare_payload();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options_.max_reply_bytes);
  error_code ec;
  i.stream->expires_after(timeout);
  bhttp::async_write(*i.stream, req, [&](error_code e, size_t) {
    ec = e;
    if (!e || cut_short(e)) {
      bhttp::async_read(*i.stream, i.buffer, parser, [&](error_code r, size_t) { ec = r; });
    }
  });
  i.run();
  if (ec) {
    if (options_.reconnect) i.stream.reset();
    if (ec == beast::error::timeout) {
      return Status::Timeout(address_ + " did not answer " + std::string(method) + " " + target +
                             " within " + std::to_string(timeout.count()) + " ms");
    }
    return Status::Unavailable(std::string(method) + " " + target + " to " + address_ + ": " + ec.message());
  }
  i.server_closes = !parser.get().keep_alive();
  return reply_of(parser.get());
}

Result<ClientReply> Client::raw(const std::string& bytes, std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  if (!i.stream) TALLY_RETURN_IF_ERROR(connect(timeout));
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options_.max_reply_bytes);
  error_code ec;
  i.stream->expires_after(timeout);
  asio::async_write(*i.stream, asio::buffer(bytes), [&](error_code e, size_t) {
    ec = e;
    if (!e || cut_short(e)) {
      bhttp::async_read(*i.stream, i.buffer, parser, [&](error_code r, size_t) { ec = r; });
    }
  });
  i.run();
  if (ec) return Status::Unavailable("raw request to " + address_ + ": " + ec.message());
  i.server_closes = !parser.get().keep_alive();
  return reply_of(parser.get());
}

bool Client::closed_by_server(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  if (!i.stream) return false;  // never connected, or dropped by this client
  char c;
  error_code ec;
  i.stream->expires_after(timeout);
  i.stream->async_read_some(asio::buffer(&c, 1), [&](error_code e, size_t) { ec = e; });
  i.run();
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

}  // namespace tally::http
