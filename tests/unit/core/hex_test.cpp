#include "daemon/core/hex.h"

#include <vector>

#include <gtest/gtest.h>

namespace apig_certd::hex_test {
namespace {

TEST(HexLower, WritesTwoLowerCaseDigitsPerByte) {
  const std::vector<unsigned char> bytes = {0x00, 0xFF, 0x0A, 0xB1};
  EXPECT_EQ(hex_lower(bytes), "00ff0ab1");
  EXPECT_EQ(hex_lower({}), "");
}

}  // namespace
}  // namespace apig_certd::hex_test
