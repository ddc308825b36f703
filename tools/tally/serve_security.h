// tally serve's security options (docs/operations.md "Securing Tally"):
// API keys, the Host and Origin allow-lists, the checkpoint root, and the
// rule that an unauthenticated API stays on loopback unless --insecure.
#pragma once

#include <boost/program_options/options_description.hpp>
#include <memory>
#include <string>
#include <vector>

#include "engine/http/address.h"
#include "engine/http/server.h"

namespace tally::cli {

struct SecurityFlags {
  std::string auth_file;  // empty: no API keys
  bool open_health = false;
  bool insecure = false;
  std::vector<std::string> allow_hosts;
  std::vector<std::string> allow_origins;
  std::string checkpoint_root;  // empty: checkpoints are refused
  size_t max_connections = 1024;
  size_t max_connections_per_client = 256;
};

void add_security_options(boost::program_options::options_description& desc, SecurityFlags& flags);

// Checks the flags against the address to listen on; throws UsageError
// (an unauthenticated non-loopback bind without --insecure, a missing
// checkpoint root, --public-health without --auth).
void check_security_flags(const SecurityFlags& flags, const http::HostPort& listen);

// The guard's options; loads the key file (throws Failure naming it).
http::GuardOptions guard_options(const SecurityFlags& flags);

// Raises the open-file limit to its hard limit and sizes the server's
// connection caps to fit in it; returns the startup line that reports both.
std::string apply_connection_limits(const SecurityFlags& flags, http::ServerOptions& options);

// The startup line about authentication: "API keys from FILE (N keys)" or
// the warning that the API is unauthenticated.
std::string auth_summary(const SecurityFlags& flags, const http::GuardOptions& guard);

}  // namespace tally::cli
