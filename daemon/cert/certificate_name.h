#pragma once

// The name apig-certd gives a certificate object in APIG (DESIGN.md §4 step 3):
// {prefix}_{notAfter as YYYYMMDD, UTC}_{first 8 hex digits of the SHA-256}. The name carries
// the fingerprint, so "already bound" can be told from the remote side alone.

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/cert/bundle.h"
#include "daemon/core/clock.h"

namespace apig_certd::cert {

// APIG's rule for certificate names: ^[A-Za-z][A-Za-z0-9_]{3,49}$.
inline constexpr std::size_t kMaxCertificateNameLength = 50;

// Builds the name and fits it to APIG's rule for any prefix: every character outside
// [A-Za-z0-9_] becomes '_' (one '_' per UTF-8 character), a prefix that does not start with a
// letter gets a leading 'c', an empty prefix becomes "cert", and the prefix (never the
// "_YYYYMMDD_hhhhhhhh" suffix) is cut so the whole is at most 50 characters. `sha256_hex`
// should hold at least 8 hex digits; its first 8 are lowercased, and anything else is
// replaced by '0' so the result always matches the rule.
std::string make_certificate_name(std::string_view prefix, SystemTime not_after,
                                  std::string_view sha256_hex);

// make_certificate_name(prefix, facts.not_after, facts.sha256).
std::string certificate_name(std::string_view prefix, const BundleFacts& facts);
inline std::string certificate_name(std::string_view prefix, const Bundle& bundle) {
  return certificate_name(prefix, bundle.facts());
}

// Whether `name` matches ^[A-Za-z][A-Za-z0-9_]{3,49}$.
bool is_valid_certificate_name(std::string_view name);

}  // namespace apig_certd::cert
