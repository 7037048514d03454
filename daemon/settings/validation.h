#pragma once

// Pure checks on config values (no TOML, no files): names, IDs, domains, URLs, "did you
// mean". Internal to settings/; kept apart from the loader so they are tested directly.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/core/result.h"
#include "daemon/core/url.h"

namespace apig_certd::settings {

// Levenshtein distance (insert, delete, substitute), byte-wise.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate `word` most likely meant: one equal ignoring case, else the nearest within
// edit distance 2. nullopt when none is close.
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

// True for a key whose value must never be quoted in a message: its name contains "key",
// "token", "password" or "secret" (case-insensitive).
bool is_secret_like_key(std::string_view key);

// A binding name: 1 to 64 of [A-Za-z0-9_.-].
bool is_valid_binding_name(std::string_view name);

// An APIG or IAM identifier (project, instance, group, domain ID): 1 to 64 of [A-Za-z0-9-].
bool is_valid_id(std::string_view id);

// A certificate name prefix as APIG accepts names: a letter, then letters, digits and '_',
// at most 50 characters (the naming code shortens it to make room for its suffix).
bool is_valid_cert_name(std::string_view name);

// A Huawei Cloud region name such as "cn-north-4": 1 to 64 of [a-z0-9-].
bool is_valid_region(std::string_view region);

// A host name a custom domain may have: labels of [a-z0-9-] (not starting or ending with
// '-'), at least two labels, at most 253 characters, optionally one leading "*." wildcard.
// Upper case is accepted and lowered. Error (InvalidArgument): why it is not valid.
Result<std::string> normalize_domain(std::string_view domain);

// A network address split into host and port.
struct HostPort {
  std::string host;  // IPv6 literals without brackets; names lower case.
  int port = 0;
};

// "host:port", "[v6]:port", "host" or "[v6]" (then the port is `default_port`), with a port
// 1..65535 and a host that is an IP literal or a host name (no wildcard). Error
// (InvalidArgument): why not.
Result<HostPort> parse_host_port(std::string_view text, int default_port);

}  // namespace apig_certd::settings
