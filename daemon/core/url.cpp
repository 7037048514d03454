// The one URL parser: an absolute URL split into scheme, host, port and the rest, without
// resolving anything. Deliberately small: the daemon only talks to endpoints and webhooks the
// operator configured, so it needs the parts that decide policy ("https, or http to
// loopback") and the host for messages. Errors never quote the URL: it may carry credentials.

#include "daemon/core/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "daemon/core/ascii.h"

namespace apig_certd {

Result<Url> parse_url(std::string_view text) {
  const std::size_t separator = text.find("://");
  if (separator == std::string_view::npos || separator == 0) {
    return fail(ErrorCode::InvalidArgument, "it is not an absolute URL (scheme://host)");
  }
  Url url;
  url.scheme = ascii_lower(text.substr(0, separator));
  std::string_view rest = text.substr(separator + 3);
  const std::size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  url.path = path_start == std::string_view::npos ? "" : std::string(rest.substr(path_start));
  if (rest.find('#') != std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "it has a fragment ('#')");
  }
  if (authority.find('@') != std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument,
                "it contains user information (user@ or user:password@); credentials do not "
                "belong in a URL");
  }
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::InvalidArgument, "its IPv6 address lacks the closing ']'");
    }
    url.host = ascii_lower(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && !authority.starts_with(':')) {
      return fail(ErrorCode::InvalidArgument, "unexpected text after the IPv6 address");
    }
  } else {
    const std::size_t colon = authority.find(':');
    url.host = ascii_lower(authority.substr(0, colon));
    authority = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (url.host.empty()) {
    return fail(ErrorCode::InvalidArgument, "it has no host");
  }
  if (authority.starts_with(':')) {
    url.port = std::string(authority.substr(1));
    unsigned port = 0;
    for (const char c : url.port) {
      port = (c >= '0' && c <= '9') && port <= 65535 ? port * 10 + static_cast<unsigned>(c - '0')
                                                     : 70000;
    }
    if (url.port.empty() || port == 0 || port > 65535) {
      return fail(ErrorCode::InvalidArgument, "its port is not a number from 1 to 65535");
    }
  }
  return url;
}

bool is_loopback_host(std::string_view host) {
  const std::string lowered = ascii_lower(host);
  if (lowered == "localhost") {
    return true;
  }
  in_addr v4{};
  if (::inet_pton(AF_INET, lowered.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, lowered.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

}  // namespace apig_certd
