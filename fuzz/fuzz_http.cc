// Fuzz target: bytes from a socket, through what tally serve does with them:
// Beast's request parser with the server's header and body limits, the
// guard (Host, Origin, Content-Type, API keys), the router and its handlers
// over real read-only projection stores (StoreBackend; made once, by a Node
// on an embedded log in a temporary directory), CORS headers and redaction.
// Properties: never crashes or hangs; every answer has a status the API
// documents and, unless it is /metrics, a JSON body; errors say what is
// wrong ({"error": "..."} with a message).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "engine/core/temp_dir.h"
#include "engine/http/api_limits.h"
#include "engine/http/guard.h"
#include "engine/http/redact.h"
#include "engine/http/router.h"
#include "engine/http/store_backend.h"
#include "engine/log/embedded_log.h"
#include "engine/node/node.h"

using namespace tally;
namespace bhttp = boost::beast::http;

namespace {

struct World {
  std::string dir;
  std::unique_ptr<http::StoreBackend> backend;
  std::unique_ptr<http::Router> router;
  std::unique_ptr<http::Guard> guard;
  std::vector<http::Redaction> redact;
};

World* make_world() {
  auto* w = new World;
  w->dir = make_temp_dir("tally-fuzz-http").value();
  auto log = open_embedded_log({.dir = w->dir + "/log", .partitions = 2});
  auto node = Node::open(std::move(log).value(), {.data_dir = w->dir}).value();
  if (!node->start().ok()) std::abort();
  node->stop();
  node.reset();
  w->backend = http::StoreBackend::open(w->dir).value();
  w->router = std::make_unique<http::Router>(*w->backend);
  w->guard = std::make_unique<http::Guard>(
      http::GuardOptions{.allow_hosts = {"tally.example.com"}, .allow_origins = {"https://ops.example.com"}},
      http::HostPort{"127.0.0.1", 8080});
  w->redact = http::redactions_for({{w->dir, "<data>"}});
  return w;
}

bool documented(unsigned status) {
  for (unsigned s : {200u, 204u, 400u, 401u, 403u, 404u, 405u, 409u, 413u, 415u, 421u, 500u, 503u, 504u}) {
    if (s == status) return true;
  }
  return false;
}

void check(const http::Response& r) {
  if (!documented(r.status)) std::abort();
  if (r.content_type != http::kJsonContentType || r.status == 204) return;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(r.body, ec);
  if (ec) std::abort();
  if (r.status >= 400 && !(v.is_object() && v.as_object().contains("error"))) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = make_world();
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(http::kMaxHeaderBytes);
  parser.body_limit(http::kMaxBodyBytes);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_done()) return 0;
  const auto& req = parser.get();
  const http::Request r{std::string(req.method_string()), std::string(req.target()), req.body()};
  const http::RequestHeaders h{.version = req.version(),
                               .host = std::string(req[bhttp::field::host]),
                               .origin = std::string(req[bhttp::field::origin]),
                               .content_type = std::string(req[bhttp::field::content_type]),
                               .authorization = std::string(req[bhttp::field::authorization]),
                               .cors_request_method = std::string(req[bhttp::field::access_control_request_method])};
  if (std::optional<http::Response> refused = world->guard->check(r, h)) return check(*refused), 0;
  http::Response answer = world->router->handle(r);
  world->guard->decorate(h, answer);
  answer.body = http::redact(answer.body, world->redact, answer.status >= 400);
  check(answer);
  return 0;
}
