#pragma once

// Test certificates, generated in-process with OpenSSL at test time (STYLE.md §8): no key or
// certificate is ever committed, nothing expires in CI, and every validity scenario is a
// parameter. Typical use:
//
//   const TestChain chain = make_chain({.sans = {"www.example.com"}});
//   const Lineage lineage = write_lineage(temp_dir_, "site", chain.fullchain(), chain.key.pem());
//   auto bundle = cert::load_bundle({lineage.cert, lineage.key});
//
// or, with full control over the hierarchy:
//
//   const TestCa root = TestCa::create("Test Root");
//   const TestCa issuing = root.intermediate("Test Issuing CA");
//   const TestKey key = make_key(KeyKind::Rsa2048);
//   const std::string leaf = issuing.issue({.sans = {"a.example.com"}, .serial = 7}, key);
//   temp_dir_.write("bad-order.pem", issuing.pem() + leaf);
//
// Key generation is the slow part (RSA 4096 takes about a second), so shared_key() and
// make_chain() reuse one key per kind and one CA pair per test process. Use make_key() when a
// test needs a key nobody else has (e.g. a key that must NOT match a certificate).
//
// Everything returns values; OpenSSL failures (which do not happen with these inputs) fail
// the running test with ADD_FAILURE() and return empty values.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::testing {

enum class KeyKind { Rsa1024, Rsa2048, Rsa4096, EcP256, EcP384, EcP521, Ed25519 };

// How a private key is written.
enum class KeyFormat {
  Pkcs8,                 // "-----BEGIN PRIVATE KEY-----" (certbot, lego, acme.sh)
  Traditional,           // "RSA PRIVATE KEY" / "EC PRIVATE KEY" (openssl genrsa of old)
  EncryptedPkcs8,        // "ENCRYPTED PRIVATE KEY", AES-256-CBC
  EncryptedTraditional,  // "RSA PRIVATE KEY" with "Proc-Type: 4,ENCRYPTED"
};

// A generated key pair. Cheap to copy (shared, immutable).
class TestKey {
 public:
  // The private key as PEM. `passphrase` is used by the encrypted formats only. Traditional
  // formats exist for RSA and EC only; for Ed25519 they fall back to PKCS#8.
  std::string pem(KeyFormat format = KeyFormat::Pkcs8,
                  std::string_view passphrase = "test passphrase") const;
  // The public key as PEM ("PUBLIC KEY").
  std::string public_pem() const;
  KeyKind kind() const { return kind_; }

  struct Impl;
  // For test_certs.cpp.
  const Impl& impl() const { return *impl_; }

 private:
  friend TestKey make_key(KeyKind kind);
  TestKey(KeyKind kind, std::shared_ptr<const Impl> impl) : kind_(kind), impl_(std::move(impl)) {}
  KeyKind kind_;
  std::shared_ptr<const Impl> impl_;
};

// A fresh key of `kind`.
TestKey make_key(KeyKind kind);

// The process-wide key of `kind`, generated on first use. Fast after the first call.
const TestKey& shared_key(KeyKind kind);

// What to put in a certificate. Times are offsets from the system clock at issue() time,
// unless the absolute field is set (for fixed dates, e.g. around 2038).
//
// Every member has a default initializer so designated initializers may name only what a test
// cares about ({.sans = {"a.example.com"}}) without -Wmissing-field-initializers.
struct CertSpec {
  std::vector<std::string> sans{};     // DNS subject alternative names; none -> no SAN extension.
  std::vector<std::string> ip_sans{};  // IP addresses (never DNS SANs, so they do not count).
  std::string common_name{};           // Empty -> no CN in the subject.
  std::chrono::seconds not_before_offset{-3600};
  std::chrono::seconds not_after_offset{std::chrono::hours(24 * 90)};
  std::optional<SystemTime> not_before_absolute{};
  std::optional<SystemTime> not_after_absolute{};
  std::uint64_t serial = 0;  // 0 -> a fresh serial per certificate.
};

// A certificate authority: a self-signed root or an intermediate it issued (basicConstraints
// CA:TRUE, keyUsage keyCertSign). Cheap to copy (shared, immutable).
class TestCa {
 public:
  // A self-signed root valid from a day ago for ten years.
  static TestCa create(std::string_view common_name = "apig-certd Test Root",
                       KeyKind kind = KeyKind::EcP256);
  // An intermediate CA signed by this CA.
  TestCa intermediate(std::string_view common_name = "apig-certd Test Issuing CA",
                      KeyKind kind = KeyKind::EcP256) const;
  // A leaf certificate (basicConstraints CA:FALSE, serverAuth) for `key`, signed by this CA,
  // as PEM.
  std::string issue(const CertSpec& spec, const TestKey& key) const;
  // This CA's certificate as PEM.
  std::string pem() const;
  const TestKey& key() const;

  struct Impl;

 private:
  explicit TestCa(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A self-signed leaf (no CA) for `key`, as PEM.
std::string self_signed(const CertSpec& spec, const TestKey& key);

// A leaf with its key and the CA certificates that issued it.
struct TestChain {
  TestKey key;
  std::string leaf;          // PEM
  std::string intermediate;  // PEM, issued `leaf`
  std::string root;          // PEM, issued `intermediate`

  // leaf + intermediate: what certbot writes as fullchain.pem.
  std::string fullchain() const { return leaf + intermediate; }
  // intermediate: certbot's chain.pem.
  std::string chain() const { return intermediate; }
};

// A leaf for `spec`, issued by the process-wide test root -> intermediate pair, with
// shared_key(kind) as its key.
TestChain make_chain(const CertSpec& spec, KeyKind kind = KeyKind::EcP256);

// The first certificate of `pem` as DER bytes (for "DER instead of PEM" tests).
std::string to_der(std::string_view certificate_pem);

// The lowercase hex SHA-256 of the first certificate of `pem`'s DER, computed with
// X509_digest() (the `openssl x509 -fingerprint -sha256` value without colons).
std::string sha256_fingerprint(std::string_view certificate_pem);

// Where a lineage's files are.
struct Lineage {
  std::filesystem::path directory;
  std::filesystem::path cert;  // fullchain.pem
  std::filesystem::path key;   // privkey.pem
};

// Writes `directory`/fullchain.pem (mode 0644) and `directory`/privkey.pem (mode 0600) under
// `temp_dir`, creating the directory.
Lineage write_lineage(TempDir& temp_dir, std::string_view directory, std::string_view fullchain,
                      std::string_view key_pem);

// certbot's layout under `temp_dir`/`config_dir` (e.g. "letsencrypt"):
//   archive/NAME/{cert,chain,fullchain,privkey}VERSION.pem    real files
//   live/NAME/{cert,chain,fullchain,privkey}.pem             relative symlinks into archive/
// Calling it again with a higher version is a renewal: the new archive files are written and
// the live/ links re-pointed (replaced one at a time, as certbot does). Returns the live/
// paths (directory = live/NAME).
Lineage write_certbot_lineage(TempDir& temp_dir, std::string_view config_dir, std::string_view name,
                              const TestChain& chain, int version = 1);

}  // namespace apig_certd::testing
