#include "tools/tally/serve_security.h"

#include <sys/resource.h>

#include <boost/asio/ip/address.hpp>
#include <boost/program_options.hpp>
#include <algorithm>
#include <filesystem>

#include "tools/tally/cli.h"

namespace po = boost::program_options;

namespace tally::cli {

namespace {

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace

void add_security_options(po::options_description& desc, SecurityFlags& f) {
  desc.add_options()
      ("auth", po::value(&f.auth_file),
       "require API keys from this file (tally keys add|list|revoke; reloaded on SIGHUP)")
      ("public-health", po::bool_switch(&f.open_health),
       "with --auth: /health and /metrics answer without a key")
      ("insecure", po::bool_switch(&f.insecure),
       "allow listening on a non-loopback address without --auth (anyone who reaches it can move money)")
      ("allow-host", po::value(&f.allow_hosts)->composing(),
       "a Host name clients (or a reverse proxy) use to reach this server, NAME or NAME:PORT "
       "(repeatable; the bound address is always allowed)")
      ("allow-origin", po::value(&f.allow_origins)->composing(),
       "a web origin allowed to call the API from a browser, e.g. https://ops.example.com "
       "(repeatable; enables CORS for it; default: none)")
      ("max-connections", po::value(&f.max_connections)->default_value(1024),
       "connections served in full; beyond them only /health and /metrics, the rest 503")
      ("max-connections-per-client", po::value(&f.max_connections_per_client)->default_value(256),
       "connections served in full from one client address")
      ("checkpoint-root", po::value(&f.checkpoint_root),
       "POST /v1/admin/checkpoint writes only under this existing directory (default: checkpoints off)");
}

void check_security_flags(const SecurityFlags& f, const http::HostPort& listen) {
  if (f.auth_file.empty() && !is_loopback(listen.host) && !f.insecure) {
    throw UsageError("--http " + http::format_host_port(listen) +
                     " is not a loopback address and there is no --auth: anyone who reaches it could move "
                     "money. Give --auth FILE (tally keys add), or --insecure to accept that");
  }
  if (f.open_health && f.auth_file.empty()) throw UsageError("--public-health is for use with --auth");
  if (!f.checkpoint_root.empty() && !std::filesystem::is_directory(f.checkpoint_root)) {
    throw UsageError("--checkpoint-root " + f.checkpoint_root + " is not an existing directory");
  }
  for (const std::string& o : f.allow_origins) {
    if (o.find("://") == std::string::npos || o.back() == '/') {
      throw UsageError("--allow-origin " + o + ": give an origin like https://ops.example.com (scheme, host, "
                       "optional port, no path)");
    }
  }
}

http::GuardOptions guard_options(const SecurityFlags& f) {
  http::GuardOptions g{.allow_hosts = f.allow_hosts, .allow_origins = f.allow_origins, .open_health = f.open_health};
  if (!f.auth_file.empty()) g.keys = check(http::KeyRing::load(f.auth_file), "--auth");
  return g;
}

std::string apply_connection_limits(const SecurityFlags& f, http::ServerOptions& o) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  const rlim_t before = lim.rlim_cur;
  constexpr rlim_t kEnough = rlim_t{1} << 20;
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? kEnough : std::min(lim.rlim_max, kEnough);
  if (lim.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &lim) != 0) lim.rlim_cur = before;
  lim.rlim_cur = std::max(lim.rlim_cur, before);
  // The stores and the log keep files open too: sockets get what is left.
  const size_t files = static_cast<size_t>(lim.rlim_cur);
  const size_t sockets = files > 2048 ? files - 1024 : files / 2;
  o.max_connections = std::min(f.max_connections, sockets);
  o.max_connections_per_client = std::min(f.max_connections_per_client, o.max_connections);
  o.overflow_connections = std::min<size_t>(4096, sockets - o.max_connections);
  return "open files: " + std::to_string(files) +
         (files > before ? " (raised from " + std::to_string(before) + ")" : "") +
         "; HTTP connections: " + std::to_string(o.max_connections) + " (" +
         std::to_string(o.max_connections_per_client) + " per client address), then " +
         std::to_string(o.overflow_connections) + " more for /health and /metrics (others 503)";
}

std::string auth_summary(const SecurityFlags& f, const http::GuardOptions& g) {
  if (!g.keys) {
    return "WARNING: the API is unauthenticated (no --auth): anyone who can reach " +
           std::string(f.insecure ? "this address" : "this machine's loopback") +
           " can post transfers and run admin actions";
  }
  return "API keys from " + f.auth_file + " (" + std::to_string(g.keys->size()) + " keys" +
         (f.open_health ? "; /health and /metrics open" : "") + "; SIGHUP reloads)";
}

}  // namespace tally::cli
