#pragma once

// Bundle: a certificate chain and its private key, read from disk and parsed once into plain
// values (fingerprint, validity, names, key facts, chain structure, normalised PEM), so the
// rest of the daemon never touches OpenSSL. The checks that judge a Bundle live in
// daemon/cert/checks.h; the APIG certificate name in daemon/cert/certificate_name.h.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::cert {

enum class KeyType { Rsa, Ec, Ed25519, Other };

// "RSA", "EC", "Ed25519", "other".
std::string_view to_string(KeyType type);

// The two files of a binding: the certificate chain (leaf first, e.g. certbot's fullchain.pem)
// and the private key (privkey.pem). Either may be a symlink.
struct BundlePaths {
  std::filesystem::path cert;
  std::filesystem::path key;
};

enum class Severity { Error, Warning };

// "error", "warning".
std::string_view to_string(Severity severity);

// One finding about a bundle or a target, ready to show to an operator.
struct Problem {
  Severity severity = Severity::Error;
  // The APIG error code this would cause, e.g. "APIG.2101"; empty when APIG has none for it.
  std::string apig_code;
  // One sentence: what is wrong, naming the file or domain, and what to do. Never key bytes.
  std::string message;
};

// How one certificate after the leaf relates to the certificates around it. Positions are
// 1-based positions in the certificate file, as an operator counts them.
struct ChainLink {
  std::size_t file_position = 0;
  std::string subject;           // One-line subject DN.
  bool issues_previous = false;  // Issued (name and signature) the certificate before it.
  bool issues_other = false;     // Issued some other certificate of the bundle instead.
  bool self_signed = false;      // A root: issued itself.
};

// The largest certificate or key file load_bundle() reads: 1 MiB.
inline constexpr std::size_t kMaxBundleFileSize = std::size_t{1} << 20U;

// The most certificates a certificate file may hold: a leaf and its intermediates are 2-4; more
// than 10 means the path names a CA bundle or a concatenation of several renewals.
inline constexpr std::size_t kMaxChainCertificates = 10;

class Bundle {
 public:
  // Same as load_bundle(paths).
  static Result<Bundle> load(const BundlePaths& paths);
  // Same as parse_bundle(certificate_text, key_text, paths).
  static Result<Bundle> parse(std::string_view certificate_text, std::string_view key_text,
                              const BundlePaths& paths);

  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;
  // A moved-from Bundle is empty; its private key has been wiped.
  Bundle(Bundle&&) noexcept = default;
  Bundle& operator=(Bundle&&) noexcept = default;
  ~Bundle() = default;

  // Lowercase hex SHA-256 of the leaf's DER (64 characters), as `openssl x509 -fingerprint
  // -sha256` prints it without the colons.
  const std::string& sha256() const { return sha256_; }
  SystemTime not_before() const { return not_before_; }
  // Clamped to SystemTime::max() for dates beyond what SystemTime holds (year 2262).
  SystemTime not_after() const { return not_after_; }
  // The leaf's DNS subject alternative names, lowercased, in certificate order.
  const std::vector<std::string>& sans() const { return sans_; }
  // The leaf's subject common name; empty when there is none.
  const std::string& common_name() const { return common_name_; }
  // The leaf's one-line subject DN, e.g. "CN = www.example.com".
  const std::string& subject() const { return subject_; }
  // The leaf's serial number in lowercase hex, without leading zeros.
  const std::string& serial() const { return serial_; }
  // The leaf's one-line issuer DN, e.g. "C = US, O = Let's Encrypt, CN = R3".
  const std::string& issuer() const { return issuer_; }
  // The leaf's public key type and size (RSA modulus bits, EC group order bits).
  KeyType key_type() const { return key_type_; }
  int key_bits() const { return key_bits_; }
  // The NIST name of the leaf key's curve ("P-256") or its OpenSSL short name when it has no
  // NIST name; empty for keys that are not EC.
  const std::string& ec_curve() const { return ec_curve_; }
  // The number of certificates after the leaf.
  std::size_t chain_length() const { return chain_links_.size(); }
  // The leaf, then the chain in file order, re-encoded as PEM: what APIG takes as "cert_content".
  const std::string& certificate_pem() const { return certificate_pem_; }
  // The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), wiped when the
  // Bundle is destroyed or moved from.
  const Secret& private_key_pem() const { return private_key_pem_; }
  // The paths as given to load_bundle(), not resolved.
  const BundlePaths& paths() const { return paths_; }
  // Findings made while loading that do not stop the bundle from being used (for example a key
  // file readable by other users). check_bundle() does not repeat them.
  const std::vector<Problem>& load_warnings() const { return load_warnings_; }

  // Chain structure, for check_bundle().
  // The leaf is the first certificate whose public key matches the private key; when none
  // matches it is the file's first certificate and key_matches_leaf() is false.
  bool key_matches_leaf() const { return key_matches_leaf_; }
  // The leaf's 1-based position in the certificate file (1 when the file is in order).
  std::size_t leaf_file_position() const { return leaf_file_position_; }
  // One entry per certificate after the leaf, in certificate_pem() order.
  const std::vector<ChainLink>& chain_links() const { return chain_links_; }

 private:
  Bundle() = default;

  std::string sha256_;
  SystemTime not_before_{};
  SystemTime not_after_{};
  std::vector<std::string> sans_;
  std::string common_name_;
  std::string subject_;
  std::string serial_;
  std::string issuer_;
  KeyType key_type_ = KeyType::Other;
  int key_bits_ = 0;
  std::string ec_curve_;
  std::string certificate_pem_;
  Secret private_key_pem_;
  BundlePaths paths_;
  std::vector<Problem> load_warnings_;
  bool key_matches_leaf_ = false;
  std::size_t leaf_file_position_ = 1;
  std::vector<ChainLink> chain_links_;
};

// Reads the certificate and key files (following symlinks, as in certbot's live/ -> archive/
// layout) and parses everything once. Each error's message names the file, says what to do,
// and, where APIG would refuse the same input, ends with the APIG code in parentheses:
//  * NotFound / PermissionDenied / InvalidArgument (from errno): missing or unreadable file,
//    a symlink loop (ELOOP), a path through a non-directory.
//  * InvalidArgument: not a regular file, or larger than kMaxBundleFileSize.
//  * Unavailable: the file grew while it was read (an ACME client is writing it); retry.
//  * ParseError "(APIG.2106)": empty file, DER instead of PEM, not PEM at all, a damaged PEM
//    block, a private key inside the certificate file, no CERTIFICATE block, no private key or
//    several in the key file, an unsupported key format.
//  * InvalidArgument "(APIG.2105)": an encrypted private key.
// The checks (key match, validity, SANs, chain order, key type) are check_bundle()'s job: a
// bundle that loads may still fail them.
Result<Bundle> load_bundle(const BundlePaths& paths);

// As load_bundle(), from the two files' contents already in memory (the fuzz target's entry
// point): the same ParseError and InvalidArgument results, but nothing is read, so the
// file-level errors above never occur and load_warnings() is empty. `paths` only names the
// files in messages and is kept as paths().
Result<Bundle> parse_bundle(std::string_view certificate_text, std::string_view key_text,
                            const BundlePaths& paths);

}  // namespace apig_certd::cert
