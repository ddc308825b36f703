#include "tools/tally/http_client.h"

#include <cstdlib>

namespace tally::cli {

Result<std::unique_ptr<http::Client>> api_client(const std::string& address) {
  http::ClientOptions options;
  options.headers.emplace_back("User-Agent", "tally");
  if (const char* key = std::getenv("TALLY_API_KEY"); key != nullptr && *key != '\0') {
    options.headers.emplace_back("Authorization", std::string("Bearer ") + key);
  }
  return http::Client::make(address, std::move(options));
}

}  // namespace tally::cli
