#include "daemon/core/ascii.h"

#include <gtest/gtest.h>

namespace apig_certd::ascii_test {
namespace {

TEST(Ascii, LowersOnlyAsciiCapitals) {
  EXPECT_EQ(ascii_lower("WWW.Example.COM-09_\xC3\x89"), "www.example.com-09_\xC3\x89");
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('['), '[');
}

TEST(Ascii, EqualsIgnoringCase) {
  EXPECT_TRUE(equals_ignoring_case("X-Request-Id", "x-request-ID"));
  EXPECT_FALSE(equals_ignoring_case("X-Request-Id", "X-Request-I"));
  EXPECT_FALSE(equals_ignoring_case("a", "b"));
}

}  // namespace
}  // namespace apig_certd::ascii_test
