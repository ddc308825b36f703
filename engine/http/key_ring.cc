#include "engine/http/key_ring.h"

#include "engine/http/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>

namespace tally::http {

namespace {

constexpr size_t kIdBytes = 6;
constexpr size_t kSecretBytes = 32;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr std::string_view kPrefix = "tally_";

constexpr struct {
  std::string_view name;
  Scope bit;
} kScopeNames[] = {{"read", kScopeRead}, {"write", kScopeWrite}, {"admin", kScopeAdmin}};

bool is_hex(std::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<unsigned char> from_hex(std::string_view s) {
  std::vector<unsigned char> out(s.size() / 2);
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i < out.size(); i++) {
    out[i] = static_cast<unsigned char>(nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]));
  }
  return out;
}

Result<std::string> random_hex(size_t bytes) {
  std::vector<unsigned char> b(bytes);
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
    return Status::IoError("OpenSSL's RAND_bytes failed to give random bytes");
  }
  return to_hex(b.data(), b.size());
}

// HMAC-SHA-256(salt, key) as raw bytes.
std::vector<unsigned char> keyed_hash(std::string_view salt_hex, std::string_view key) {
  const std::vector<unsigned char> salt = from_hex(salt_hex);
  return hmac_sha256(salt, key);
}

// The id in "tally_<id>_<secret>", or "" when the text is not of that form.
std::string_view key_id(std::string_view key) {
  if (key.size() != kPrefix.size() + 2 * kIdBytes + 1 + 2 * kSecretBytes) return {};
  if (key.substr(0, kPrefix.size()) != kPrefix || key[kPrefix.size() + 2 * kIdBytes] != '_') return {};
  return key.substr(kPrefix.size(), 2 * kIdBytes);
}

std::vector<std::string_view> split_fields(std::string_view line, size_t max_fields) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size() && out.size() < max_fields) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == line.size()) break;
    size_t j = i;
    if (out.size() + 1 == max_fields) {
      j = line.size();  // the name: the rest of the line
      while (j > i && (line[j - 1] == ' ' || line[j - 1] == '\t' || line[j - 1] == '\r')) j--;
    } else {
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') j++;
    }
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

Result<KeyEntry> parse_line(std::string_view line) {
  const std::vector<std::string_view> f = split_fields(line, 5);
  if (f.size() < 4) return Status::InvalidArgument("expected \"<id> <scopes> <salt> <hash> [name]\"");
  KeyEntry e;
  if (!is_hex(f[0], 2 * kIdBytes)) return Status::InvalidArgument("the id must be 12 lower-case hex digits");
  e.id = std::string(f[0]);
  TALLY_ASSIGN_OR_RETURN(e.scopes, parse_scopes(f[1]));
  if (!is_hex(f[2], 2 * kSaltBytes)) return Status::InvalidArgument("the salt must be 32 lower-case hex digits");
  if (!is_hex(f[3], 2 * kHashBytes)) return Status::InvalidArgument("the hash must be 64 lower-case hex digits");
  e.salt = std::string(f[2]);
  e.hash = std::string(f[3]);
  if (f.size() == 5) e.name = std::string(f[4]);
  return e;
}

}  // namespace

Result<Scopes> parse_scopes(std::string_view text) {
  Scopes out = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view name = text.substr(start, comma - start);
    Scopes bit = 0;
    for (const auto& s : kScopeNames) {
      if (s.name == name) bit = s.bit;
    }
    if (bit == 0) {
      return Status::InvalidArgument("unknown scope \"" + std::string(name) + "\" (known: read, write, admin)");
    }
    if ((out & bit) != 0) return Status::InvalidArgument("scope \"" + std::string(name) + "\" is given twice");
    out |= bit;
    start = comma + 1;
  }
  return out;
}

std::string format_scopes(Scopes scopes) {
  std::string out;
  for (const auto& s : kScopeNames) {
    if ((scopes & s.bit) != 0) out += (out.empty() ? "" : ",") + std::string(s.name);
  }
  return out;
}

Scope required_scope(std::string_view method, std::string_view path) {
  if (path == "/v1/admin" || path.substr(0, 10) == "/v1/admin/") return kScopeAdmin;
  return method == "POST" ? kScopeWrite : kScopeRead;
}

Result<std::vector<KeyEntry>> parse_key_file(std::string_view text) {
  std::vector<KeyEntry> out;
  size_t line_no = 0;
  for (size_t start = 0; start < text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    line_no++;
    if (line.find('\0') != std::string_view::npos) {
      return Status::InvalidArgument("line " + std::to_string(line_no) + ": a NUL byte");
    }
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    Result<KeyEntry> e = parse_line(line);
    if (!e.ok()) return e.status().with_context("line " + std::to_string(line_no));
    for (const KeyEntry& k : out) {
      if (k.id == e->id) return Status::InvalidArgument("line " + std::to_string(line_no) + ": id " + k.id + " is given twice");
    }
    out.push_back(std::move(*e));
  }
  return out;
}

std::string format_key_file(const std::vector<KeyEntry>& keys) {
  std::string out =
      "# tally API keys (tally keys add|list|revoke; docs/operations.md \"Securing Tally\")\n"
      "# <id> <scopes> <salt> <HMAC-SHA-256(salt, key)> [name]\n";
  for (const KeyEntry& k : keys) {
    out += k.id + " " + format_scopes(k.scopes) + " " + k.salt + " " + k.hash;
    out += (k.name.empty() ? "" : " " + k.name) + "\n";
  }
  return out;
}

Result<NewKey> make_key(Scopes scopes, std::string name) {
  if (scopes == 0) return Status::InvalidArgument("a key needs at least one scope (read, write, admin)");
  for (char c : name) {
    if (c == '\n' || c == '\r' || c == '\0') return Status::InvalidArgument("the name must be one line");
  }
  NewKey k;
  TALLY_ASSIGN_OR_RETURN(k.entry.id, random_hex(kIdBytes));
  TALLY_ASSIGN_OR_RETURN(std::string secret, random_hex(kSecretBytes));
  TALLY_ASSIGN_OR_RETURN(k.entry.salt, random_hex(kSaltBytes));
  k.key = std::string(kPrefix) + k.entry.id + "_" + secret;
  const std::vector<unsigned char> h = keyed_hash(k.entry.salt, k.key);
  k.entry.hash = to_hex(h.data(), h.size());
  k.entry.scopes = scopes;
  k.entry.name = std::move(name);
  return k;
}

const KeyEntry* match_key(const std::vector<KeyEntry>& keys, std::string_view key) {
  const std::string_view id = key_id(key);
  if (id.empty()) return nullptr;
  for (const KeyEntry& k : keys) {
    if (k.id != id) continue;
    const std::vector<unsigned char> got = keyed_hash(k.salt, key);
    const std::vector<unsigned char> want = from_hex(k.hash);
    if (got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0) return &k;
    return nullptr;
  }
  return nullptr;
}

Result<std::shared_ptr<KeyRing>> KeyRing::load(std::string path) {
  std::shared_ptr<KeyRing> ring(new KeyRing(std::move(path)));
  TALLY_RETURN_IF_ERROR(ring->reload());
  return ring;
}

Status KeyRing::reload() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the key file " + path_);
  std::ostringstream text;
  text << in.rdbuf();
  Result<std::vector<KeyEntry>> keys = parse_key_file(text.str());
  if (!keys.ok()) return keys.status().with_context("key file " + path_);
  auto fresh = std::make_shared<const std::vector<KeyEntry>>(std::move(*keys));
  std::lock_guard lock(mu_);
  keys_ = std::move(fresh);
  return Status::Ok();
}

std::optional<Scopes> KeyRing::verify(std::string_view key) const {
  std::shared_ptr<const std::vector<KeyEntry>> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  if (!keys) return std::nullopt;
  const KeyEntry* k = match_key(*keys, key);
  if (k == nullptr) return std::nullopt;
  return k->scopes;
}

size_t KeyRing::size() const {
  std::lock_guard lock(mu_);
  return keys_ ? keys_->size() : 0;
}

}  // namespace tally::http
