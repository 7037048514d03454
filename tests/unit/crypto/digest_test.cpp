#include "daemon/crypto/digest.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/core/hex.h"

namespace apig_certd::crypto::digest_test {
namespace {

TEST(Sha256, MatchesFips180Examples) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, HashesTheEmptyInput) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, HashesEmbeddedNulBytes) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(sha256_hex(with_nul), sha256_hex("a"));
  EXPECT_EQ(hex_lower(sha256(with_nul)), sha256_hex(with_nul));
}

TEST(HmacSha256, MatchesRfc4231Case1) {
  EXPECT_EQ(hex_lower(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, MatchesRfc4231Case2) {
  EXPECT_EQ(hex_lower(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, MatchesRfc4231Case6WithKeyLongerThanBlock) {
  EXPECT_EQ(hex_lower(hmac_sha256(std::string(131, '\xaa'),
                                  "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, AcceptsAnEmptyKey) {
  EXPECT_EQ(hex_lower(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(EqualConstantTime, ComparesContentAndLength) {
  EXPECT_TRUE(equal_constant_time("", ""));
  EXPECT_TRUE(equal_constant_time("signature", "signature"));
  EXPECT_FALSE(equal_constant_time("signature", "signaturf"));
  EXPECT_FALSE(equal_constant_time("Signature", "signature"));
  EXPECT_FALSE(equal_constant_time("signature", "signatur"));
  EXPECT_FALSE(equal_constant_time("", "x"));
}

TEST(Cleanse, ZeroesBytesAndEmptiesStrings) {
  std::vector<unsigned char> bytes = {1, 2, 3};
  cleanse(bytes);
  EXPECT_EQ(bytes, (std::vector<unsigned char>{0, 0, 0}));

  std::string text = "a secret that is longer than the small-string buffer";
  cleanse(text);
  EXPECT_TRUE(text.empty());
}

}  // namespace
}  // namespace apig_certd::crypto::digest_test
