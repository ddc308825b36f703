// HMAC-SHA-256 through OpenSSL: the one place the API keys' hashes
// (key_ring.cc) and the webhooks' signatures (webhooks.h) are computed.
// Thread-safe: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tally::http {

// HMAC-SHA-256(key, message), 32 bytes.
std::vector<unsigned char> hmac_sha256(std::span<const unsigned char> key, std::string_view message);
// The same, of a text key, in lower-case hex (64 digits).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);
// Lower-case hex of bytes.
std::string to_hex(const unsigned char* p, size_t n);

}  // namespace tally::http
