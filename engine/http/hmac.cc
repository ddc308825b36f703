#include "engine/http/hmac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace tally::http {

std::vector<unsigned char> hmac_sha256(std::span<const unsigned char> key, std::string_view message) {
  std::vector<unsigned char> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), out.data(), &n);
  out.resize(n);
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  const std::vector<unsigned char> h =
      hmac_sha256(std::span(reinterpret_cast<const unsigned char*>(key.data()), key.size()), message);
  return to_hex(h.data(), h.size());
}

std::string to_hex(const unsigned char* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = kDigits[p[i] >> 4];
    out[2 * i + 1] = kDigits[p[i] & 15];
  }
  return out;
}

}  // namespace tally::http
