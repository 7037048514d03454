// make_certificate_name(): any prefix yields a name APIG accepts, with the date and hash intact.

#include "daemon/cert/certificate_name.h"

#include <chrono>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::cert::certificate_name_test {
namespace {

constexpr std::string_view kSha256 =
    "0123ABCDEF456789aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

// 2027-03-04T23:59:59Z: late in the UTC day, so a local-time conversion would show.
const SystemTime kNotAfter = SystemTime(std::chrono::seconds(1'804'204'799));

struct NameCase {
  std::string_view prefix;
  std::string_view expected;
};

class CertificateNameTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(CertificateNameTest, FitsApigsRule) {
  const NameCase& c = GetParam();
  const std::string name = make_certificate_name(c.prefix, kNotAfter, kSha256);
  EXPECT_EQ(name, c.expected);
  EXPECT_TRUE(std::regex_match(name, std::regex("^[A-Za-z][A-Za-z0-9_]{3,49}$"))) << name;
  EXPECT_TRUE(std::regex_search(name, std::regex("_20270304_0123abcd$"))) << name;
  EXPECT_TRUE(is_valid_certificate_name(name));
}

INSTANTIATE_TEST_SUITE_P(
    Prefixes, CertificateNameTest,
    ::testing::Values(NameCase{"example", "example_20270304_0123abcd"},
                      NameCase{"", "cert_20270304_0123abcd"},
                      NameCase{"1abc", "c1abc_20270304_0123abcd"},
                      NameCase{"a-b.c", "a_b_c_20270304_0123abcd"},
                      NameCase{"tr\xC3\xA8s", "tr_s_20270304_0123abcd"},  // "très"
                      NameCase{"_x", "c_x_20270304_0123abcd"},
                      NameCase{"www.example.com", "www_example_com_20270304_0123abcd"},
                      // 60 characters: cut to 32 so the whole is 50.
                      NameCase{"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567",
                               "abcdefghijklmnopqrstuvwxyzABCDEF_20270304_0123abcd"},
                      // Starts with a digit and is long: the added 'c' counts toward the limit.
                      NameCase{"123456789012345678901234567890123456",
                               "c1234567890123456789012345678901_20270304_0123abcd"},
                      NameCase{"\xE4\xB8\xAD\xE6\x96\x87", "c___20270304_0123abcd"}));  // "中文"

TEST(CertificateName, LongestNameIsExactlyFifty) {
  const std::string name = make_certificate_name(std::string(60, 'a'), kNotAfter, kSha256);
  EXPECT_EQ(name.size(), kMaxCertificateNameLength);
}

TEST(CertificateName, DateIsUtc) {
  // One second later is the next UTC day.
  EXPECT_EQ(make_certificate_name("x", kNotAfter + std::chrono::seconds(1), kSha256),
            "x_20270305_0123abcd");
  EXPECT_EQ(make_certificate_name("x", SystemTime(std::chrono::seconds(2'147'483'647)), kSha256),
            "x_20380119_0123abcd");
}

TEST(CertificateName, ShortOrOddHashStillGivesAValidName) {
  EXPECT_EQ(make_certificate_name("x", kNotAfter, "ab"), "x_20270304_ab000000");
  EXPECT_EQ(make_certificate_name("x", kNotAfter, "zz-12345"), "x_20270304_00012345");
}

TEST(CertificateName, ValidatesApigsRule) {
  EXPECT_TRUE(is_valid_certificate_name("abcd"));
  EXPECT_FALSE(is_valid_certificate_name("abc"));
  EXPECT_FALSE(is_valid_certificate_name("1abc"));
  EXPECT_FALSE(is_valid_certificate_name("_abc"));
  EXPECT_FALSE(is_valid_certificate_name("ab-c"));
  EXPECT_TRUE(is_valid_certificate_name(std::string(50, 'a')));
  EXPECT_FALSE(is_valid_certificate_name(std::string(51, 'a')));
}

TEST(CertificateName, FromABundleUsesItsExpiryAndFingerprint) {
  testing::TempDir temp_dir;
  const auto chain = testing::make_chain(
      {.sans = {"a.example.com"}, .not_after_absolute = kNotAfter}, testing::KeyKind::EcP256);
  const auto lineage =
      testing::write_lineage(temp_dir, "lineage", chain.fullchain(), chain.key.pem());
  auto bundle = load_bundle({lineage.cert, lineage.key});
  ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();
  EXPECT_EQ(certificate_name("site", *bundle),
            "site_20270304_" + testing::sha256_fingerprint(chain.leaf).substr(0, 8));
}

}  // namespace
}  // namespace apig_certd::cert::certificate_name_test
