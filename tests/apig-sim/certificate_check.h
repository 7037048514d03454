#pragma once

// APIG's checks on an uploaded certificate and key, done with OpenSSL directly.
//
// Deliberately independent of daemon/cert: the simulator is the daemon's judge, and a judge
// that shares the daemon's parsing code would share its bugs.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "tests/apig-sim/http_types.h"

namespace apig_certd::sim {

// What APIG reports about a certificate (REFERENCE.md §2.6, §2.9), plus what the simulator
// keeps for itself (fingerprint, PEM).
struct CertificateFacts {
  std::string common_name;
  std::vector<std::string> san;  // DNS names only.
  SystemTime not_before;
  SystemTime not_after;
  std::string serial_number;        // Decimal.
  std::vector<std::string> issuer;  // One RFC 2253 string.
  std::vector<std::string> organization;
  std::vector<std::string> organizational_unit;
  std::vector<std::string> locality;
  std::vector<std::string> state;
  std::vector<std::string> country;
  std::string signature_algorithm;  // Go-style, e.g. "SHA256-RSA", "ECDSA-SHA256".
  std::string algorithm_type;       // "RSA" or "ECC" (by the leaf's public key).
  int version = 3;
  std::string fingerprint;  // Lower-case hex SHA-256 of the leaf's DER.
};

// Describes the first certificate of a PEM text without judging it (seeded certificates).
// ParseError when no certificate can be read.
Result<CertificateFacts> describe_certificate(std::string_view certificate_pem);

// True if `name` follows APIG's certificate name rule: 4 to 50 characters, starting with a
// letter, then letters, digits or '_'; CJK ideographs (U+4E00..U+9FFF) count as letters, as
// the Chinese documentation allows. Lengths count characters (code points), not bytes.
bool is_valid_certificate_name(std::string_view name);

// Runs APIG's checks on an upload after the field and name checks, in this order, and
// returns the first failure (HTTP 400):
//   APIG.2106 certificate PEM unparsable; APIG.2105 encrypted key; APIG.2106 key unparsable
//   or of an unsupported type; APIG.2101 key does not match the first certificate;
//   APIG.2102 leaf expired at `now`; APIG.2109 leaf has no DNS SAN; APIG.2103 a domain in
//   `domains` is not covered by the SANs (a SAN "*.x" covers exactly one more label);
//   APIG.2104 chain out of order (cert[i] not issued by cert[i+1]); APIG.3148 leaf expires
//   after 2038-01-19T03:14:07Z.
// On success, the leaf's facts.
tl::expected<CertificateFacts, ApigError> check_upload(std::string_view certificate_pem,
                                                       std::string_view private_key_pem,
                                                       std::span<const std::string> domains,
                                                       SystemTime now);

// The first of `domains` that no SAN in `sans` covers (san_covers), or nullopt.
std::optional<std::string> first_uncovered(const std::vector<std::string>& sans,
                                           std::span<const std::string> domains);

// True if the DNS name `san` covers `domain`: equal ignoring case, or `san` is "*.rest" and
// `domain` is one label followed by ".rest".
bool san_covers(std::string_view san, std::string_view domain);

}  // namespace apig_certd::sim
