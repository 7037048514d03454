// Small helpers shared by every Transport: header lookup, URL redaction, loopback detection.
// Kept free of curl so the rules (what counts as loopback, what gets redacted) are tested on
// their own.

#include "daemon/http/transport.h"

#include <algorithm>
#include <cctype>

namespace apig_certd::http {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

bool header_name_equals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string> Response::header(std::string_view name) const {
  for (const Header& entry : headers) {
    if (header_name_equals(entry.name, name)) {
      return entry.value;
    }
  }
  return std::nullopt;
}

std::string redact_url(std::string_view url) {
  const auto cut = url.find_first_of("?#");
  if (cut == std::string_view::npos) {
    return std::string(url);
  }
  return std::string(url.substr(0, cut));
}

std::string url_host(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return {};
  }
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  const auto at = rest.rfind('@');
  if (at != std::string_view::npos) {
    rest = rest.substr(at + 1);
  }
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    return close == std::string_view::npos ? std::string() : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

bool is_loopback_host(std::string_view host) {
  std::string lowered(host);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
  if (lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1") {
    return true;
  }
  // 127.0.0.0/8, written as four decimal octets.
  if (!lowered.starts_with("127.")) {
    return false;
  }
  int dots = 0;
  int digits = 0;
  for (const char c : lowered) {
    if (c == '.') {
      if (digits == 0) {
        return false;
      }
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

}  // namespace apig_certd::http
