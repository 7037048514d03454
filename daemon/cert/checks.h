#pragma once

// The checks a Bundle must pass before it is sent to APIG (DESIGN.md §4 step 2), as pure
// functions over the facts load_bundle() collected (BundleFacts, parsed now or cached in the
// state; the Bundle overloads check a bundle's facts). Each failure is a Problem naming the
// APIG error code it would cause, so `apig-certd check` can say in advance what APIG would say.

#include <optional>
#include <string_view>
#include <vector>

#include "daemon/cert/bundle.h"
#include "daemon/core/clock.h"

namespace apig_certd::cert {

// The latest notAfter APIG accepts: 2038-01-19T03:14:07Z (2^31 - 1 seconds after the epoch).
inline constexpr std::chrono::seconds kLatestApigNotAfter{2'147'483'647};

// The smallest RSA modulus accepted.
inline constexpr int kMinRsaBits = 2048;

// The bundle's own checks at time `now`; every failing check is reported, not only the first:
//  * Error APIG.2101: the private key matches no certificate in the file.
//  * Error APIG.2104: the leaf is not the file's first certificate; a chain certificate does
//    not issue the one before it (out of order, or signs nothing in the chain).
//  * Error APIG.2102: expired (now > notAfter). Error (no code): not yet valid.
//  * Error APIG.2109: the leaf has no DNS subject alternative name.
//  * Error APIG.3148: notAfter later than kLatestApigNotAfter.
//  * Error (no code): RSA below kMinRsaBits; a key type other than RSA or EC; an EC curve other
//    than P-256, P-384 or P-521. Warning (no code): P-521, which APIG's documents do not list.
// load_warnings() are not included.
std::vector<Problem> check_bundle(const BundleFacts& facts, SystemTime now);
inline std::vector<Problem> check_bundle(const Bundle& bundle, SystemTime now) {
  return check_bundle(bundle.facts(), now);
}

// Whether the leaf's DNS SANs cover `domain` (APIG.2103). nullopt when covered; otherwise an
// Error naming the certificate file, the domain and the names the certificate has. A domain
// with non-ASCII characters (a U-label) is never covered: the problem says to write it in its
// A-label form (xn--...), which is how certificates and APIG spell it.
std::optional<Problem> check_domain(const BundleFacts& facts, std::string_view domain);
inline std::optional<Problem> check_domain(const Bundle& bundle, std::string_view domain) {
  return check_domain(bundle.facts(), domain);
}

// Whether one SAN covers one domain: an exact match, or a SAN whose left-most label is exactly
// "*" and whose remaining labels (at least two) equal the domain's after its first label, so
// "*.example.com" covers "a.example.com" but neither "example.com" nor "a.b.example.com".
// Case-insensitive (ASCII), one trailing dot ignored on either side. Partial wildcards
// ("a*.example.com"), a bare "*", empty labels and non-ASCII text never match. Pure.
bool san_covers(std::string_view san, std::string_view domain);

}  // namespace apig_certd::cert
