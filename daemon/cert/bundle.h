#pragma once

// Bundle: a certificate chain and its private key, read from disk and parsed once into plain
// values, so the rest of the daemon never touches OpenSSL: the facts (fingerprint, validity,
// names, key facts, chain structure; bundle_facts.h) and the PEM material APIG takes. The
// checks that judge the facts live in daemon/cert/checks.h; the APIG certificate name in
// daemon/cert/certificate_name.h.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/cert/bundle_facts.h"
#include "daemon/cert/key_decoders.h"
#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::cert {

// The largest certificate or key file load_bundle() reads: 1 MiB.
inline constexpr std::size_t kMaxBundleFileSize = std::size_t{1} << 20U;

// The most certificates a certificate file may hold: a leaf and its intermediates are 2-4; more
// than 10 means the path names a CA bundle or a concatenation of several renewals.
inline constexpr std::size_t kMaxChainCertificates = 10;

class Bundle {
 public:
  // Same as load_bundle(paths) and load_bundle(paths, decoders).
  static Result<Bundle> load(const BundlePaths& paths);
  static Result<Bundle> load(const BundlePaths& paths, KeyDecoders& decoders);
  // Same as parse_bundle(certificate_text, key_text, paths).
  static Result<Bundle> parse(std::string_view certificate_text, std::string_view key_text,
                              const BundlePaths& paths);
  static Result<Bundle> parse(std::string_view certificate_text, std::string_view key_text,
                              const BundlePaths& paths, KeyDecoders& decoders);

  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;
  // A moved-from Bundle is empty; its private key has been wiped.
  Bundle(Bundle&&) noexcept = default;
  Bundle& operator=(Bundle&&) noexcept = default;
  ~Bundle() = default;

  // The facts, everything below but the PEM material (bundle_facts.h documents each).
  [[nodiscard]] const BundleFacts& facts() const { return facts_; }
  [[nodiscard]] const std::string& sha256() const { return facts_.sha256; }
  [[nodiscard]] SystemTime not_before() const { return facts_.not_before; }
  [[nodiscard]] SystemTime not_after() const { return facts_.not_after; }
  [[nodiscard]] const std::vector<std::string>& sans() const { return facts_.sans; }
  [[nodiscard]] const std::string& common_name() const { return facts_.common_name; }
  [[nodiscard]] const std::string& subject() const { return facts_.subject; }
  [[nodiscard]] const std::string& serial() const { return facts_.serial; }
  [[nodiscard]] const std::string& issuer() const { return facts_.issuer; }
  [[nodiscard]] KeyType key_type() const { return facts_.key_type; }
  [[nodiscard]] int key_bits() const { return facts_.key_bits; }
  [[nodiscard]] const std::string& ec_curve() const { return facts_.ec_curve; }
  // The number of certificates after the leaf.
  [[nodiscard]] std::size_t chain_length() const { return facts_.chain_links.size(); }
  // The leaf, then the chain in file order, re-encoded as PEM: what APIG takes as "cert_content".
  [[nodiscard]] const std::string& certificate_pem() const { return certificate_pem_; }
  // The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"), wiped when the
  // Bundle is destroyed or moved from.
  [[nodiscard]] const Secret& private_key_pem() const { return private_key_pem_; }
  [[nodiscard]] const BundlePaths& paths() const { return facts_.paths; }
  [[nodiscard]] const std::vector<Problem>& load_warnings() const { return facts_.load_warnings; }
  [[nodiscard]] bool key_matches_leaf() const { return facts_.key_matches_leaf; }
  [[nodiscard]] std::size_t leaf_file_position() const { return facts_.leaf_file_position; }
  [[nodiscard]] const std::vector<ChainLink>& chain_links() const { return facts_.chain_links; }

 private:
  Bundle() = default;

  BundleFacts facts_;
  std::string certificate_pem_;
  Secret private_key_pem_;
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

// As load_bundle(paths), decoding the private key with a context of `decoders`
// (key_decoders.h) instead of building one: for callers that load many bundles, such as a pass.
Result<Bundle> load_bundle(const BundlePaths& paths, KeyDecoders& decoders);

// As load_bundle(), from the two files' contents already in memory (the fuzz target's entry
// point): the same ParseError and InvalidArgument results, but nothing is read, so the
// file-level errors above never occur and load_warnings() is empty. `paths` only names the
// files in messages and is kept as paths().
Result<Bundle> parse_bundle(std::string_view certificate_text, std::string_view key_text,
                            const BundlePaths& paths);

}  // namespace apig_certd::cert
