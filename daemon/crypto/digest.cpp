// SHA-256, HMAC-SHA256, hex and constant-time comparison over OpenSSL 3's EVP interfaces.
//
// The digest is a one-shot EVP_Digest: there is no state to own. HMAC goes through EVP_MAC
// (the HMAC_CTX functions are deprecated in OpenSSL 3), with the fetched algorithm and its
// context each held by a unique_ptr with a stateless deleter (STYLE.md §4), so every exit
// path frees them; EVP_MAC_CTX_free also wipes the key schedule that OpenSSL derived from the
// key. The key itself is never copied by us.
//
// Failures abort through APIG_CERTD_CHECK rather than returning a Result: SHA-256 and HMAC
// are built into the default provider, so a failure means memory exhaustion or a broken
// libcrypto, which no caller could handle better than bad_alloc would be handled.

#include "daemon/crypto/digest.h"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "daemon/core/check.h"
#include "daemon/core/fn_deleter.h"
#include "daemon/core/hex.h"

namespace apig_certd::crypto {

namespace {

using MacPtr = std::unique_ptr<EVP_MAC, FnDeleter<EVP_MAC_free>>;
using MacContextPtr = std::unique_ptr<EVP_MAC_CTX, FnDeleter<EVP_MAC_CTX_free>>;

const unsigned char* as_bytes(std::string_view text) {
  // OpenSSL takes unsigned char; reading chars through unsigned char is always allowed.
  return reinterpret_cast<const unsigned char*>(text.data());  // NOLINT(*-reinterpret-cast)
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256Digest digest{};
  unsigned int length = 0;
  const int ok =
      EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  APIG_CERTD_CHECK(ok == 1 && length == digest.size(), "EVP_Digest(SHA-256) failed");
  return digest;
}

std::string sha256_hex(std::string_view data) {
  return hex_lower(sha256(data));
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  const MacPtr mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
  APIG_CERTD_CHECK(mac != nullptr, "EVP_MAC_fetch(HMAC) failed");
  const MacContextPtr context(EVP_MAC_CTX_new(mac.get()));
  APIG_CERTD_CHECK(context != nullptr, "EVP_MAC_CTX_new failed");

  // OSSL_PARAM wants a mutable char*, though it only reads the name.
  std::string digest_name = OSSL_DIGEST_NAME_SHA2_256;
  const std::array<OSSL_PARAM, 2> parameters = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_end(),
  };
  // A zero-length key still needs a non-null pointer: with nullptr EVP_MAC_init would keep
  // the previous key instead of setting an empty one.
  static constexpr unsigned char kEmptyKey = 0;
  const unsigned char* key_bytes = key.empty() ? &kEmptyKey : as_bytes(key);
  APIG_CERTD_CHECK(EVP_MAC_init(context.get(), key_bytes, key.size(), parameters.data()) == 1,
                   "EVP_MAC_init(HMAC-SHA256) failed");
  APIG_CERTD_CHECK(EVP_MAC_update(context.get(), as_bytes(data), data.size()) == 1,
                   "EVP_MAC_update failed");

  Sha256Digest mac_value{};
  std::size_t length = 0;
  APIG_CERTD_CHECK(EVP_MAC_final(context.get(), mac_value.data(), &length, mac_value.size()) == 1 &&
                       length == mac_value.size(),
                   "EVP_MAC_final failed");
  return mac_value;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void cleanse(std::span<unsigned char> bytes) noexcept {
  OPENSSL_cleanse(bytes.data(), bytes.size());
}

void cleanse(std::string& text) noexcept {
  // Wipe the whole capacity: a shrinking assignment leaves old bytes behind the terminator.
  text.resize(text.capacity());
  OPENSSL_cleanse(text.data(), text.size());
  text.clear();
}

}  // namespace apig_certd::crypto
