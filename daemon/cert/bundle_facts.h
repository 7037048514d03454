#pragma once

// BundleFacts: everything load_bundle() learns about a certificate bundle except the PEM
// material itself, as plain values. The checks (checks.h) and the APIG name
// (certificate_name.h) are functions of these facts alone, which is what lets the daemon keep
// them in its state between passes (state.h, BundleCacheEntry) and skip parsing unchanged
// files. Nothing here is derived from the private key's bytes beyond whether it matches the
// leaf: the facts may be written to disk and shown to people.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"

namespace apig_certd::cert {

enum class KeyType { Rsa, Ec, Ed25519, Other };

// "RSA", "EC", "Ed25519", "other".
std::string_view to_string(KeyType type);

// The two files of a binding: the certificate chain (leaf first, e.g. certbot's fullchain.pem)
// and the private key (privkey.pem). Either may be a symlink. Kept as text: a
// std::filesystem::path also keeps a list of its components, about 400 bytes more per
// certbot path, and the daemon holds two per binding in its settings and bundle cache.
struct BundlePaths {
  std::string cert;
  std::string key;

  bool operator==(const BundlePaths&) const = default;
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

  bool operator==(const Problem&) const = default;
};

// How one certificate after the leaf relates to the certificates around it. Positions are
// 1-based positions in the certificate file, as an operator counts them.
struct ChainLink {
  std::size_t file_position = 0;
  std::string subject;           // One-line subject DN.
  bool issues_previous = false;  // Issued (name and signature) the certificate before it.
  bool issues_other = false;     // Issued some other certificate of the bundle instead.
  bool self_signed = false;      // A root: issued itself.

  bool operator==(const ChainLink&) const = default;
};

struct BundleFacts {
  // The paths as given to load_bundle(), not resolved; messages name the files by them.
  BundlePaths paths;
  // Lowercase hex SHA-256 of the leaf's DER (64 characters), as `openssl x509 -fingerprint
  // -sha256` prints it without the colons.
  std::string sha256;
  SystemTime not_before{};
  // Clamped to the last whole second SystemTime holds for dates beyond it (year 2262).
  SystemTime not_after{};
  // The leaf's DNS subject alternative names, lowercased, in certificate order.
  std::vector<std::string> sans;
  // The leaf's subject common name; empty when there is none.
  std::string common_name;
  // The leaf's one-line subject DN, e.g. "CN = www.example.com".
  std::string subject;
  // The leaf's serial number in lowercase hex, without leading zeros.
  std::string serial;
  // The leaf's one-line issuer DN, e.g. "C = US, O = Let's Encrypt, CN = R3".
  std::string issuer;
  // The leaf's public key type and size (RSA modulus bits, EC group order bits).
  KeyType key_type = KeyType::Other;
  int key_bits = 0;
  // The NIST name of the leaf key's curve ("P-256") or its OpenSSL short name when it has no
  // NIST name; empty for keys that are not EC.
  std::string ec_curve;
  // The leaf is the first certificate whose public key matches the private key; when none
  // matches it is the file's first certificate and key_matches_leaf is false.
  bool key_matches_leaf = false;
  // The leaf's 1-based position in the certificate file (1 when the file is in order).
  std::size_t leaf_file_position = 1;
  // One entry per certificate after the leaf, in certificate_pem() order.
  std::vector<ChainLink> chain_links;
  // Findings made while loading that do not stop the bundle from being used (for example a key
  // file readable by other users). check_bundle() does not repeat them.
  std::vector<Problem> load_warnings;

  bool operator==(const BundleFacts&) const = default;
};

}  // namespace apig_certd::cert
