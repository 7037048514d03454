#pragma once

// Tiny OpenSSL helpers for request signing: SHA-256, HMAC-SHA256, lower-case hex, a
// constant-time comparison and a wipe that the optimiser cannot remove.
//
// This is the only place outside cert/ that includes OpenSSL headers (STYLE.md §1), so auth/
// and the APIG simulator get hashing without depending on libcrypto's types. None of these
// can fail for reasons outside the program: SHA-256 and HMAC are always present in
// OpenSSL 3's default provider, so an OpenSSL failure here means memory exhaustion or a
// broken libcrypto, and the process aborts (like bad_alloc) instead of returning a Result.

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace apig_certd::crypto {

inline constexpr std::size_t kSha256Size = 32;

// A raw SHA-256 or HMAC-SHA256 output.
using Sha256Digest = std::array<unsigned char, kSha256Size>;

// SHA-256 (FIPS 180-4) of the bytes of `data`.
Sha256Digest sha256(std::string_view data);

// Lower-case hex of SHA-256(data), 64 characters. The empty input gives
// "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".
std::string sha256_hex(std::string_view data);

// HMAC-SHA256 (RFC 2104) of `data` under `key`. The key may be empty or longer than the
// block size. The key is only borrowed; OpenSSL wipes its internal copy when the MAC context
// is freed. If the caller considers the result secret, it wipes it with cleanse().
Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// True if `a` and `b` hold the same bytes. For equal lengths the time taken does not depend
// on where they differ (CRYPTO_memcmp), so a signature check leaks nothing through timing.
// Lengths are not secret: different lengths return false at once.
bool equal_constant_time(std::string_view a, std::string_view b);

// Overwrites the bytes with zeros in a way the compiler may not remove (OPENSSL_cleanse).
void cleanse(std::span<unsigned char> bytes) noexcept;
// Overwrites the string's whole capacity with zeros, then empties it.
void cleanse(std::string& text) noexcept;

}  // namespace apig_certd::crypto
