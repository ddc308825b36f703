#include "engine/http/guard.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace tally::http {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "name", "name:port", "[v6]", "[v6]:port" -> the host part, lower case.
std::string host_part(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? lower(host) : lower(host.substr(1, close - 1));
  }
  return lower(host.substr(0, host.find(':')));
}

std::optional<boost::asio::ip::address> ip_literal(const std::string& host) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return a;
}

std::string quoted(std::string_view s) {
  constexpr size_t kMaxShown = 100;
  std::string out;
  for (char c : s.substr(0, kMaxShown)) out += (c >= 0x20 && c < 0x7f && c != '"') ? c : '?';
  return "\"" + out + (s.size() > kMaxShown ? "...\"" : "\"");
}

std::string_view path_of(const std::string& target) {
  return std::string_view(target).substr(0, target.find('?'));
}

}  // namespace

std::string media_type(std::string_view content_type) {
  return lower(trim(content_type.substr(0, content_type.find(';'))));
}

Guard::Guard(GuardOptions options, HostPort bound) : options_(std::move(options)), bound_(std::move(bound)) {}

std::optional<Response> Guard::check(const Request& r, const RequestHeaders& h) const {
  if (auto refused = check_host(h)) return refused;
  if (auto refused = check_origin(r, h)) return refused;
  if (auto refused = check_key(r, h)) return refused;
  if (r.method == "POST" && media_type(h.content_type) != "application/json") {
    return error_response(415, "a POST must have Content-Type: application/json" +
                                   (h.content_type.empty() ? std::string(" (none was sent)")
                                                           : " (got " + quoted(h.content_type) + ")"));
  }
  return std::nullopt;
}

std::optional<Response> Guard::check_host(const RequestHeaders& h) const {
  if (h.host.empty()) {
    if (h.version < 11) return std::nullopt;
    return error_response(400, "the Host header is required");
  }
  const std::string host = host_part(h.host);
  const auto ip = ip_literal(host);
  const auto bound_ip = ip_literal(bound_.host);
  if (ip && bound_ip) {
    // An IP literal cannot be a rebound DNS name; it must be the bound
    // address unless the server listens on every interface.
    if (bound_ip->is_unspecified() || *ip == *bound_ip) return std::nullopt;
    if (bound_ip->is_loopback() && ip->is_loopback()) return std::nullopt;
  }
  if (host == "localhost" && bound_ip && bound_ip->is_loopback()) return std::nullopt;
  if (host == lower(bound_.host)) return std::nullopt;
  for (const std::string& allowed : options_.allow_hosts) {
    const std::string a = lower(allowed);
    if (a == lower(h.host) || (a.find(':') == std::string::npos && a == host)) return std::nullopt;
  }
  return error_response(400, "Host " + quoted(h.host) + " is not this server's address (" +
                                 format_host_port(bound_) +
                                 "); a name it is reached by must be allowed with --allow-host");
}

bool Guard::origin_allowed(const std::string& origin) const {
  const std::string o = lower(origin);
  return std::any_of(options_.allow_origins.begin(), options_.allow_origins.end(),
                     [&](const std::string& a) { return lower(a) == o; });
}

std::optional<Response> Guard::check_origin(const Request& r, const RequestHeaders& h) const {
  if (h.origin.empty()) return std::nullopt;
  if (!origin_allowed(h.origin)) {
    return error_response(403, "Origin " + quoted(h.origin) +
                                   " is not allowed (requests from web pages need --allow-origin)");
  }
  if (r.method == "OPTIONS" && !h.cors_request_method.empty()) {
    Response pre;
    pre.status = 204;
    pre.headers = {{"Access-Control-Allow-Methods", "GET, POST"},
                   {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
                   {"Access-Control-Max-Age", "600"}};
    decorate(h, pre);
    return pre;
  }
  return std::nullopt;
}

std::optional<Response> Guard::check_key(const Request& r, const RequestHeaders& h) const {
  if (!options_.keys) return std::nullopt;
  const std::string_view path = path_of(r.target);
  if (options_.open_health && r.method == "GET" && (path == "/health" || path == "/metrics")) {
    return std::nullopt;
  }
  constexpr std::string_view kBearer = "bearer ";
  const std::string_view auth = trim(h.authorization);
  std::optional<Scopes> scopes;
  if (auth.size() > kBearer.size() && lower(auth.substr(0, kBearer.size())) == kBearer) {
    scopes = options_.keys->verify(trim(auth.substr(kBearer.size())));
  }
  if (!scopes) {
    Response e = error_response(401, h.authorization.empty()
                                         ? "an API key is required: Authorization: Bearer KEY"
                                         : "the API key is not valid (unknown, revoked or malformed)");
    e.headers = {{"WWW-Authenticate", "Bearer realm=\"tally\""}};
    return e;
  }
  const Scope need = required_scope(r.method, path);
  if ((*scopes & need) == 0) {
    return error_response(403, "this API key lacks the \"" + format_scopes(need) + "\" scope that " +
                                   r.method + " " + std::string(path) + " needs (it has: " +
                                   format_scopes(*scopes) + ")");
  }
  return std::nullopt;
}

void Guard::decorate(const RequestHeaders& h, Response& response) const {
  if (h.origin.empty() || !origin_allowed(h.origin)) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", h.origin);
  response.headers.emplace_back("Vary", "Origin");
}

}  // namespace tally::http
