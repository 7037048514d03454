#pragma once

// Optional whitespace around HTTP header values (RFC 9110 §5.6.3): spaces and tabs.

#include <cstddef>
#include <string_view>

namespace apig_certd {

// `text` without leading and trailing spaces and tabs.
inline std::string_view trim_blanks(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  const std::size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace apig_certd
