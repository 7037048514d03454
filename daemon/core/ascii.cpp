// ASCII case. One definition for every layer, so a header name, a URL host and a DNS name are
// folded the same way, and no locale is ever consulted.

#include "daemon/core/ascii.h"

#include <algorithm>

namespace apig_certd {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](char c) { return ascii_lower(c); });
  return lowered;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

}  // namespace apig_certd
