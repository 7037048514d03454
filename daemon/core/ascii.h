#pragma once

// ASCII case, for protocol text (URL schemes and hosts, header names, hex digits, DNS names).
// Never locale-dependent, unlike std::tolower: only 'A'-'Z' change.

#include <string>
#include <string_view>

namespace apig_certd {

// `c` in lower case when it is an ASCII capital letter; otherwise `c`.
char ascii_lower(char c);

// `text` with every ASCII capital letter in lower case.
std::string ascii_lower(std::string_view text);

// True if `a` and `b` are equal ignoring ASCII case.
bool equals_ignoring_case(std::string_view a, std::string_view b);

}  // namespace apig_certd
