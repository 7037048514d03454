// Small helpers shared by every Transport: header lookup, URL redaction, loopback detection.
// Kept free of curl so the rules (what counts as loopback, what gets redacted) are tested on
// their own.

#include "daemon/http/transport.h"

#include <algorithm>

#include "daemon/core/ascii.h"

namespace apig_certd::http {

std::optional<std::string> Response::header(std::string_view name) const {
  for (const Header& entry : headers) {
    if (equals_ignoring_case(entry.name, name)) {
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

}  // namespace apig_certd::http
