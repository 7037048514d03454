// Lower-case hex: the one encoder of digests, signatures and random file-name suffixes.

#include "daemon/core/hex.h"

#include <string_view>

namespace apig_certd {

std::string hex_lower(std::span<const unsigned char> bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4U]);
    hex.push_back(kDigits[byte & 0x0FU]);
  }
  return hex;
}

}  // namespace apig_certd
