#pragma once

// Bytes as lower-case hexadecimal text (fingerprints, signatures, random names).

#include <span>
#include <string>

namespace apig_certd {

// Lower-case hex of `bytes`, two characters per byte.
std::string hex_lower(std::span<const unsigned char> bytes);

}  // namespace apig_certd
