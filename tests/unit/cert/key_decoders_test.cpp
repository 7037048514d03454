// KeyDecoders (daemon/cert/key_decoders.h): bundles loaded through one set of reused decoder
// contexts get each its own key, right, in every format, after failures, and on many threads
// at once; and the key file's own PKCS#8 is passed on only when it is the plain form.

#include "daemon/cert/key_decoders.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "daemon/cert/bundle.h"
#include "daemon/cert/openssl_ptr.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::cert::key_decoders_test {
namespace {

using ::testing::HasSubstr;
using testing::KeyFormat;
using testing::KeyKind;
using testing::TempDir;
using testing::TestCa;
using testing::TestKey;

// The DER inside a PEM private key.
std::string der_of(const std::string& pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  EXPECT_EQ(PEM_read_bio(bio.get(), &name, &header, &data, &length), 1);
  std::string der(reinterpret_cast<const char*>(data), static_cast<std::size_t>(length));
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  return der;
}

std::string pem_of(const std::string& name, const std::string& der) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_GT(
      PEM_write_bio(bio.get(), name.c_str(), "", reinterpret_cast<const unsigned char*>(der.data()),
                    static_cast<long>(der.size())),
      0);
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio.get(), &memory);
  return {memory->data, memory->length};
}

// A PKCS#8 key with an attribute (as some PKCS#12 exports write it).
std::string with_attribute(const std::string& pkcs8_pem) {
  const std::string der = der_of(pkcs8_pem);
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  const Pkcs8InfoPtr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &cursor, static_cast<long>(der.size())));
  EXPECT_TRUE(info);
  const std::string friendly = "web";
  EXPECT_EQ(PKCS8_pkey_add1_attr_by_NID(info.get(), NID_friendlyName, MBSTRING_ASC,
                                        reinterpret_cast<const unsigned char*>(friendly.data()),
                                        static_cast<int>(friendly.size())),
            1);
  unsigned char* out = nullptr;
  const int length = i2d_PKCS8_PRIV_KEY_INFO(info.get(), &out);
  std::string encoded(reinterpret_cast<const char*>(out), static_cast<std::size_t>(length));
  OPENSSL_free(out);
  return pem_of("PRIVATE KEY", encoded);
}

class KeyDecodersTest : public ::testing::Test {
 protected:
  // A lineage for a fresh certificate of `key` (issued by one test CA), with `key_pem` as its
  // key file.
  testing::Lineage lineage(const std::string& name, const TestKey& key,
                           const std::string& key_pem) {
    const std::string leaf = ca_.issue({.sans = {"www.example.com"}}, key);
    return testing::write_lineage(temp_dir_, name, leaf + ca_.pem(), key_pem);
  }

  TempDir temp_dir_;
  const TestCa ca_ = TestCa::create("apig-certd KeyDecoders CA");
};

TEST_F(KeyDecodersTest, ReusedContextsGiveEachBundleItsOwnKey) {
  KeyDecoders decoders;
  int loaded = 0;
  for (const KeyKind kind : {KeyKind::Rsa2048, KeyKind::EcP256, KeyKind::EcP384}) {
    for (const KeyFormat format : {KeyFormat::Pkcs8, KeyFormat::Traditional}) {
      // Three different keys in a row through the same context: a context that kept the
      // previous key would make the second and third not match their certificates.
      for (int round = 0; round < 3; ++round) {
        const TestKey key = testing::make_key(kind);
        const auto files = lineage("k" + std::to_string(loaded), key, key.pem(format));
        auto bundle = load_bundle({files.cert, files.key}, decoders);
        ASSERT_TRUE(bundle) << bundle.error().to_string();
        EXPECT_TRUE(bundle->key_matches_leaf()) << loaded;
        EXPECT_EQ(bundle->private_key_pem().view(), key.pem(KeyFormat::Pkcs8)) << loaded;
        ++loaded;
      }
    }
  }
  // One context per (format, algorithm): RSA, P-256 and P-384 keys share the EC ones.
  EXPECT_EQ(decoders.built(), 4U);
  EXPECT_EQ(decoders.idle(), 4U);
}

TEST_F(KeyDecodersTest, DroppedContextsAreBuiltAgainWhenNeeded) {
  KeyDecoders decoders;
  const TestKey key = testing::make_key(KeyKind::EcP256);
  const auto files = lineage("dropped", key, key.pem(KeyFormat::Pkcs8));
  ASSERT_TRUE(load_bundle({files.cert, files.key}, decoders));
  EXPECT_EQ(decoders.idle(), 1U);
  decoders.drop_idle();
  EXPECT_EQ(decoders.idle(), 0U);
  auto bundle = load_bundle({files.cert, files.key}, decoders);
  ASSERT_TRUE(bundle) << bundle.error().to_string();
  EXPECT_TRUE(bundle->key_matches_leaf());
  EXPECT_EQ(decoders.built(), 2U) << "one context, built again after the drop";
  EXPECT_EQ(decoders.idle(), 1U);
}

TEST_F(KeyDecodersTest, AKeyOfAnotherCertificateIsDecodedAsThatKey) {
  KeyDecoders decoders;
  const TestKey first = testing::make_key(KeyKind::EcP256);
  const TestKey second = testing::make_key(KeyKind::EcP256);
  const auto matching = lineage("matching", first, first.pem());
  const auto other = lineage("other", first, second.pem());
  ASSERT_TRUE(load_bundle({matching.cert, matching.key}, decoders)->key_matches_leaf());
  auto bundle = load_bundle({other.cert, other.key}, decoders);
  ASSERT_TRUE(bundle) << bundle.error().to_string();
  EXPECT_FALSE(bundle->key_matches_leaf());
  EXPECT_EQ(bundle->private_key_pem().view(), second.pem());
}

TEST_F(KeyDecodersTest, ADamagedKeyFailsAsWithoutThemAndTheContextStaysUsable) {
  KeyDecoders decoders;
  const TestKey key = testing::make_key(KeyKind::Rsa2048);
  for (const KeyFormat format : {KeyFormat::Pkcs8, KeyFormat::Traditional}) {
    const std::string pem = key.pem(format);
    const std::string name = format == KeyFormat::Pkcs8 ? "PRIVATE KEY" : "RSA PRIVATE KEY";
    std::string der = der_of(pem);
    der[der.size() / 2] = static_cast<char>(der[der.size() / 2] ^ 0x5a);
    der.resize(der.size() - 40);  // Shorter than its own length fields say.
    const auto damaged = lineage("damaged", key, pem_of(name, der));
    auto shared = load_bundle({damaged.cert, damaged.key}, decoders);
    auto alone = load_bundle({damaged.cert, damaged.key});
    ASSERT_FALSE(shared);
    ASSERT_FALSE(alone);
    EXPECT_EQ(shared.error().code(), ErrorCode::ParseError);
    EXPECT_EQ(shared.error().message(), alone.error().message());
    EXPECT_THAT(shared.error().message(), HasSubstr("is not a valid private key"));

    const auto good = lineage("good", key, pem);
    auto bundle = load_bundle({good.cert, good.key}, decoders);
    ASSERT_TRUE(bundle) << bundle.error().to_string();
    EXPECT_TRUE(bundle->key_matches_leaf());
  }
}

TEST_F(KeyDecodersTest, OnlyThePlainPkcs8FormIsPassedOnAsWritten) {
  KeyDecoders decoders;
  const TestKey key = testing::make_key(KeyKind::EcP256);
  const std::string plain = key.pem(KeyFormat::Pkcs8);
  // Attributes, or bytes after the key: the key is encoded again, as plain PKCS#8.
  const std::string trailing = pem_of("PRIVATE KEY", der_of(plain) + std::string(2, '\0'));
  for (const std::string& written : {with_attribute(plain), trailing}) {
    ASSERT_NE(written, plain);
    const auto files = lineage("variant", key, written);
    auto bundle = load_bundle({files.cert, files.key}, decoders);
    ASSERT_TRUE(bundle) << bundle.error().to_string();
    EXPECT_TRUE(bundle->key_matches_leaf());
    EXPECT_EQ(bundle->private_key_pem().view(), plain);
  }
}

TEST_F(KeyDecodersTest, ThreadsDecodeAtTheSameTimeWithOneSet) {
  constexpr int kThreads = 8;
  constexpr int kBundlesEach = 6;
  std::vector<TestKey> keys;
  std::vector<testing::Lineage> files;
  for (int i = 0; i < kThreads * kBundlesEach; ++i) {
    keys.push_back(testing::make_key(i % 2 == 0 ? KeyKind::EcP256 : KeyKind::Rsa2048));
    files.push_back(lineage("t" + std::to_string(i), keys.back(), keys.back().pem()));
  }
  KeyDecoders decoders;
  std::vector<int> wrong(kThreads, 0);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 3; ++round) {
          for (int j = 0; j < kBundlesEach; ++j) {
            const std::size_t i = static_cast<std::size_t>(t * kBundlesEach + j);
            auto bundle = load_bundle({files[i].cert, files[i].key}, decoders);
            if (!bundle || !bundle->key_matches_leaf() ||
                bundle->private_key_pem().view() != keys[i].pem()) {
              ++wrong[static_cast<std::size_t>(t)];
            }
          }
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(wrong[static_cast<std::size_t>(t)], 0) << "thread " << t;
  }
  // At most one context per thread and algorithm, all given back.
  EXPECT_GE(decoders.built(), 2U);
  EXPECT_LE(decoders.built(), 2U * kThreads);
  EXPECT_EQ(decoders.idle(), decoders.built());
}

}  // namespace
}  // namespace apig_certd::cert::key_decoders_test
