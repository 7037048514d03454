#pragma once

// Absolute URLs ("https://host:port/path"): their parts, and whether a host is this machine.

#include <string>
#include <string_view>

#include "daemon/core/result.h"

namespace apig_certd {

// The parts of an absolute URL "scheme://host[:port][/path]".
struct Url {
  std::string scheme;  // Lower case.
  std::string host;    // Without brackets for IPv6 literals; lower case.
  std::string port;    // Empty when absent.
  std::string path;    // Path and query, from the first '/' or '?'; possibly empty.
};

// Parses an absolute URL. Refuses user information ("user:pass@") and fragments, and does not quote
// the input in its error (it may hold credentials).
Result<Url> parse_url(std::string_view text);

// 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(std::string_view host);

}  // namespace apig_certd
