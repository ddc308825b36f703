// API keys (`tally serve --auth FILE`, `tally keys add|list|revoke`).
//
// A key is the text "tally_<id>_<secret>": <id> 12 lower-case hex digits,
// <secret> 64 (32 random bytes from OpenSSL's RAND_bytes). It is shown once,
// when made; the file keeps only its id, its scopes, a random 16-byte salt
// and HMAC-SHA-256(salt, key), so a copy of the file lets no one in. The key
// file is text, one key a line, '#' starts a comment line:
//
//   <id> <scopes> <salt hex> <hash hex> [name ...]
//   3f9a0c1d2e4b read,write 6c1f...(32) 9e0d...(64) producer for payments
//
// Scopes: read (GET routes), write (POST /v1/commands), admin
// (/v1/admin/*); a key holds any set of them. Verification recomputes the
// HMAC and compares in constant time (CRYPTO_memcmp).
//
// Thread safety: KeyRing::verify and reload may run at once from any
// threads; parse/format functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace tally::http {

enum Scope : uint8_t { kScopeRead = 1, kScopeWrite = 2, kScopeAdmin = 4 };
using Scopes = uint8_t;

// "read,write" <-> bits; unknown or repeated names are errors.
Result<Scopes> parse_scopes(std::string_view text);
std::string format_scopes(Scopes scopes);

// The scope a request needs: admin for /v1/admin/*, write for any other
// POST, read for the rest.
Scope required_scope(std::string_view method, std::string_view path);

struct KeyEntry {
  std::string id;    // 12 hex digits
  Scopes scopes = 0;
  std::string salt;  // 32 hex digits
  std::string hash;  // 64 hex digits: HMAC-SHA-256(salt, key)
  std::string name;  // free text, may be empty
};

// The whole file; errors name the line and the field.
Result<std::vector<KeyEntry>> parse_key_file(std::string_view text);
std::string format_key_file(const std::vector<KeyEntry>& keys);

struct NewKey {
  std::string key;  // "tally_<id>_<secret>", shown once
  KeyEntry entry;
};
// A fresh key with these scopes (internal: RAND_bytes failed).
Result<NewKey> make_key(Scopes scopes, std::string name);

// The entry `key` matches, or nullopt.
const KeyEntry* match_key(const std::vector<KeyEntry>& keys, std::string_view key);

// The keys of one file, reloaded on request (SIGHUP in `tally serve`).
class KeyRing {
 public:
  static Result<std::shared_ptr<KeyRing>> load(std::string path);
  // Reads the file again; on error the keys in use stay as they were.
  Status reload();
  // The scopes of `key`, or nullopt when no key in the ring matches.
  std::optional<Scopes> verify(std::string_view key) const;
  size_t size() const;
  const std::string& path() const { return path_; }

 private:
  explicit KeyRing(std::string path) : path_(std::move(path)) {}
  std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<KeyEntry>> keys_;
};

}  // namespace tally::http
