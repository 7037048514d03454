// load_bundle(): the facts of real, freshly generated bundles, and every way loading fails.

#include "daemon/cert/bundle.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "daemon/cert/checks.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::cert::bundle_test {
namespace {

using testing::CertSpec;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::KeyFormat;
using testing::KeyKind;
using testing::make_chain;
using testing::shared_key;
using ::testing::StartsWith;
using testing::TempDir;

class CertBundleTest : public ::testing::Test {
 protected:
  Result<Bundle> load(std::string_view cert_pem, std::string_view key_pem) {
    const auto lineage = testing::write_lineage(temp_dir_, "lineage", cert_pem, key_pem);
    return load_bundle({lineage.cert, lineage.key});
  }

  // The error of a load that must fail.
  Error load_error(std::string_view cert_pem, std::string_view key_pem) {
    auto bundle = load(cert_pem, key_pem);
    EXPECT_FALSE(bundle.has_value()) << "loaded although it should not";
    if (bundle) {
      return {ErrorCode::Internal, "loaded"};
    }
    return bundle.error();
  }

  TempDir temp_dir_;
};

SystemTime whole_seconds(SystemTime time) {
  return std::chrono::floor<std::chrono::seconds>(time);
}

struct KeyCase {
  KeyKind kind;
  KeyType type;
  int bits;
  std::string curve;
};

class CertBundleFactsTest : public CertBundleTest, public ::testing::WithParamInterface<KeyCase> {};

TEST_P(CertBundleFactsTest, LoadsWithTheFactsOfTheLeaf) {
  const KeyCase& key_case = GetParam();
  const SystemTime now = whole_seconds(std::chrono::system_clock::now());
  CertSpec spec;
  spec.sans = {"www.Example.com", "example.com"};
  spec.common_name = "www.example.com";
  spec.not_before_absolute = now - std::chrono::hours(1);
  spec.not_after_absolute = now + std::chrono::hours(24 * 90);
  spec.serial = 0x0123abcdULL;
  const auto chain = make_chain(spec, key_case.kind);

  auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();

  EXPECT_EQ(bundle->sha256(), testing::sha256_fingerprint(chain.leaf));
  EXPECT_EQ(bundle->sha256().size(), 64U);
  EXPECT_EQ(bundle->not_before(), *spec.not_before_absolute);
  EXPECT_EQ(bundle->not_after(), *spec.not_after_absolute);
  EXPECT_THAT(bundle->sans(), ElementsAre("www.example.com", "example.com"));
  EXPECT_EQ(bundle->common_name(), "www.example.com");
  EXPECT_THAT(bundle->subject(), HasSubstr("CN = www.example.com"));
  EXPECT_EQ(bundle->serial(), "123abcd");
  EXPECT_THAT(bundle->issuer(), HasSubstr("CN = apig-certd Test Issuing CA"));
  EXPECT_EQ(bundle->key_type(), key_case.type);
  EXPECT_EQ(bundle->key_bits(), key_case.bits);
  EXPECT_EQ(bundle->ec_curve(), key_case.curve);
  EXPECT_EQ(bundle->chain_length(), 1U);
  EXPECT_TRUE(bundle->key_matches_leaf());
  EXPECT_EQ(bundle->leaf_file_position(), 1U);
  EXPECT_EQ(bundle->certificate_pem(), chain.fullchain());
  EXPECT_EQ(bundle->private_key_pem().view(), chain.key.pem(KeyFormat::Pkcs8));
  EXPECT_THAT(std::string(bundle->private_key_pem().view()),
              StartsWith("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(bundle->load_warnings().empty());
  EXPECT_TRUE(check_bundle(*bundle, now).empty());
}

INSTANTIATE_TEST_SUITE_P(KeyKinds, CertBundleFactsTest,
                         ::testing::Values(KeyCase{KeyKind::Rsa2048, KeyType::Rsa, 2048, ""},
                                           KeyCase{KeyKind::Rsa4096, KeyType::Rsa, 4096, ""},
                                           KeyCase{KeyKind::EcP256, KeyType::Ec, 256, "P-256"},
                                           KeyCase{KeyKind::EcP384, KeyType::Ec, 384, "P-384"}));

TEST_F(CertBundleTest, TraditionalKeysAreReencodedAsPkcs8) {
  for (const KeyKind kind : {KeyKind::Rsa2048, KeyKind::EcP256}) {
    const auto chain = make_chain({.sans = {"a.example.com"}}, kind);
    auto bundle = load(chain.fullchain(), chain.key.pem(KeyFormat::Traditional));
    ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();
    EXPECT_EQ(bundle->private_key_pem().view(), chain.key.pem(KeyFormat::Pkcs8));
    EXPECT_TRUE(bundle->key_matches_leaf());
  }
}

TEST_F(CertBundleTest, EcKeyWithParametersBlockLoads) {
  // `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
  const auto chain = make_chain({.sans = {"a.example.com"}}, KeyKind::EcP256);
  const std::string parameters =
      "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
  auto bundle = load(chain.fullchain(), parameters + chain.key.pem(KeyFormat::Traditional));
  ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();
}

TEST_F(CertBundleTest, TextAroundBlocksIsIgnoredAndPemIsNormalised) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  auto bundle = load("subject=CN = a.example.com\r\n" + chain.leaf + "\n\n" + chain.intermediate,
                     chain.key.pem());
  ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();
  EXPECT_EQ(bundle->certificate_pem(), chain.fullchain());
}

TEST_F(CertBundleTest, ReadsFarFutureGeneralizedTime) {
  const SystemTime not_after = SystemTime(std::chrono::seconds(2'871'763'200));  // 2061-01-01
  const auto chain = make_chain({.sans = {"a.example.com"}, .not_after_absolute = not_after});
  auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();
  EXPECT_EQ(bundle->not_after(), not_after);
}

TEST_F(CertBundleTest, FollowsCertbotSymlinksAndSeesRenewals) {
  const auto first = make_chain({.sans = {"a.example.com"}});
  const auto lineage =
      testing::write_certbot_lineage(temp_dir_, "letsencrypt", "a.example.com", first, 1);
  ASSERT_TRUE(std::filesystem::is_symlink(lineage.cert));
  ASSERT_EQ(std::filesystem::read_symlink(lineage.cert),
            std::filesystem::path("../../archive/a.example.com/fullchain1.pem"));
  auto bundle = load_bundle({lineage.cert, lineage.key});
  ASSERT_TRUE(bundle.has_value()) << bundle.error().to_string();
  EXPECT_EQ(bundle->sha256(), testing::sha256_fingerprint(first.leaf));
  EXPECT_EQ(bundle->paths().cert, lineage.cert);  // As given, not resolved.

  const auto renewed = make_chain({.sans = {"a.example.com"}});
  testing::write_certbot_lineage(temp_dir_, "letsencrypt", "a.example.com", renewed, 2);
  auto reloaded = load_bundle({lineage.cert, lineage.key});
  ASSERT_TRUE(reloaded.has_value()) << reloaded.error().to_string();
  EXPECT_EQ(reloaded->sha256(), testing::sha256_fingerprint(renewed.leaf));
  EXPECT_NE(reloaded->sha256(), bundle->sha256());
}

TEST_F(CertBundleTest, WarnsWhenTheKeyIsReadableByOthers) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto lineage =
      testing::write_lineage(temp_dir_, "lineage", chain.fullchain(), chain.key.pem());
  ASSERT_EQ(::chmod(lineage.key.c_str(), 0640), 0);
  auto group_readable = load_bundle({lineage.cert, lineage.key});
  ASSERT_TRUE(group_readable.has_value());
  EXPECT_TRUE(group_readable->load_warnings().empty());

  ASSERT_EQ(::chmod(lineage.key.c_str(), 0644), 0);
  auto world_readable = load_bundle({lineage.cert, lineage.key});
  ASSERT_TRUE(world_readable.has_value());
  ASSERT_EQ(world_readable->load_warnings().size(), 1U);
  const Problem& warning = world_readable->load_warnings().front();
  EXPECT_EQ(warning.severity, Severity::Warning);
  EXPECT_EQ(warning.apig_code, "");
  EXPECT_THAT(warning.message, HasSubstr(lineage.key));
  EXPECT_THAT(warning.message, HasSubstr("readable by all users"));
  EXPECT_THAT(warning.message, HasSubstr("chmod o-rwx"));
  EXPECT_TRUE(check_bundle(*world_readable, std::chrono::system_clock::now()).empty());
}

TEST_F(CertBundleTest, MovingWipesTheKeyOfTheSource) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  ASSERT_FALSE(bundle->private_key_pem().empty());
  Bundle moved = std::move(*bundle);
  // NOLINTNEXTLINE(bugprone-use-after-move): a moved-from Bundle is documented as empty.
  EXPECT_TRUE(bundle->private_key_pem().empty());
  EXPECT_FALSE(moved.private_key_pem().empty());
  Bundle assigned = std::move(moved);
  // NOLINTNEXTLINE(bugprone-use-after-move): as above.
  EXPECT_TRUE(moved.private_key_pem().empty());
  EXPECT_EQ(assigned.private_key_pem().view(), chain.key.pem());
}

TEST_F(CertBundleTest, ParseFromMemoryGivesTheFactsOfLoadWithoutFileWarnings) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto lineage =
      testing::write_lineage(temp_dir_, "lineage", chain.fullchain(), chain.key.pem());
  ASSERT_EQ(::chmod(lineage.key.c_str(), 0644), 0);
  auto loaded = load_bundle({lineage.cert, lineage.key});
  ASSERT_TRUE(loaded.has_value());
  ASSERT_EQ(loaded->load_warnings().size(), 1U);

  auto parsed = parse_bundle(chain.fullchain(), chain.key.pem(), {lineage.cert, lineage.key});
  ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
  EXPECT_EQ(parsed->sha256(), loaded->sha256());
  EXPECT_EQ(parsed->certificate_pem(), loaded->certificate_pem());
  EXPECT_EQ(parsed->private_key_pem().view(), loaded->private_key_pem().view());
  EXPECT_EQ(parsed->paths().cert, lineage.cert);
  EXPECT_TRUE(parsed->load_warnings().empty());

  const auto garbage = parse_bundle("not pem", chain.key.pem(), {"/x/cert.pem", "/x/key.pem"});
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().code(), ErrorCode::ParseError);
  EXPECT_THAT(garbage.error().to_string(), HasSubstr("/x/cert.pem"));
}

// Errors. Each names the file and what to do; parse errors name the APIG code.

TEST_F(CertBundleTest, MissingFileIsNotFound) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto key = temp_dir_.write("privkey.pem", chain.key.pem());
  auto bundle = load_bundle({temp_dir_ / "missing.pem", key});
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(bundle.error().message(), HasSubstr("cannot open certificate file '"));
  EXPECT_THAT(bundle.error().message(), HasSubstr("missing.pem"));
  EXPECT_THAT(bundle.error().message(), HasSubstr("No such file or directory"));
  EXPECT_THAT(bundle.error().message(), HasSubstr("check the path"));

  const auto cert = temp_dir_.write("fullchain.pem", chain.fullchain());
  auto no_key = load_bundle({cert, temp_dir_ / "nokey.pem"});
  ASSERT_FALSE(no_key.has_value());
  EXPECT_EQ(no_key.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(no_key.error().message(), HasSubstr("cannot open key file '"));
}

// Tests run as root, where chmod 000 does not stop a read (CAP_DAC_OVERRIDE), so EACCES cannot
// be produced here; ENOTDIR (a path through a regular file) exercises the same errno path.
TEST_F(CertBundleTest, PathThroughAFileIsNotFound) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto cert = temp_dir_.write("fullchain.pem", chain.fullchain());
  auto bundle = load_bundle({cert / "privkey.pem", cert});
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.error().code(), ErrorCode::NotFound);
  EXPECT_THAT(bundle.error().message(), HasSubstr("Not a directory"));
}

TEST_F(CertBundleTest, SymlinkLoopIsInvalidArgument) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto key = temp_dir_.write("privkey.pem", chain.key.pem());
  std::filesystem::create_symlink("b.pem", temp_dir_ / "a.pem");
  std::filesystem::create_symlink("a.pem", temp_dir_ / "b.pem");
  auto bundle = load_bundle({temp_dir_ / "a.pem", key});
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(bundle.error().message(), HasSubstr("a.pem"));
  EXPECT_THAT(bundle.error().message(), HasSubstr("Too many levels of symbolic links"));
  EXPECT_THAT(bundle.error().message(), HasSubstr("fix the link"));
}

TEST_F(CertBundleTest, DirectoryIsInvalidArgument) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto key = temp_dir_.write("privkey.pem", chain.key.pem());
  auto bundle = load_bundle({temp_dir_.path(), key});
  ASSERT_FALSE(bundle.has_value());
  EXPECT_EQ(bundle.error().code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(bundle.error().message(), HasSubstr("is a directory"));
}

TEST_F(CertBundleTest, FileOverOneMebibyteIsRefused) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const std::string padding(kMaxBundleFileSize + 1 - chain.fullchain().size(), '\n');
  const Error error = load_error(chain.fullchain() + padding, chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("1048577 bytes"));
  EXPECT_THAT(error.message(), HasSubstr("1 MiB"));

  // Exactly 1 MiB is fine.
  const std::string fits(kMaxBundleFileSize - chain.fullchain().size(), '\n');
  EXPECT_TRUE(load(chain.fullchain() + fits, chain.key.pem()).has_value());
}

TEST_F(CertBundleTest, ChainOfMoreThanTenCertificatesIsRefused) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  // Leaf, intermediate and root repeated: 11 certificates, as when 'cert' names a CA bundle.
  std::string eleven = chain.leaf;
  for (int copy = 0; copy < 5; ++copy) {
    eleven += chain.intermediate + chain.root;
  }
  const Error error = load_error(eleven, chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("holds 11 PEM blocks, more than the 10"));
  EXPECT_THAT(error.message(), HasSubstr("fullchain.pem"));

  // Ten load (the chain checks then report the duplicates; that is not this limit's job).
  std::string ten = chain.leaf + chain.intermediate;
  for (int copy = 0; copy < 4; ++copy) {
    ten += chain.intermediate + chain.root;
  }
  EXPECT_TRUE(load(ten, chain.key.pem()).has_value());
}

TEST_F(CertBundleTest, EmptyCertificateFileIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  for (const std::string_view empty : {"", "\n  \n"}) {
    const Error error = load_error(empty, chain.key.pem());
    EXPECT_EQ(error.code(), ErrorCode::ParseError);
    EXPECT_THAT(error.message(), HasSubstr("certificate file '"));
    EXPECT_THAT(error.message(), HasSubstr("is empty"));
    EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
  }
}

TEST_F(CertBundleTest, EmptyKeyFileIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error = load_error(chain.fullchain(), "");
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("key file '"));
  EXPECT_THAT(error.message(), HasSubstr("is empty"));
  EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
}

TEST_F(CertBundleTest, DerCertificateIsParseErrorWithConversionHint) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error = load_error(testing::to_der(chain.leaf), chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("is DER (binary), not PEM"));
  EXPECT_THAT(error.message(), HasSubstr("openssl x509 -inform der"));
  EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
}

TEST_F(CertBundleTest, GarbageIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error = load_error("hello, this is not a certificate\n", chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("holds no PEM block"));
  EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
}

TEST_F(CertBundleTest, DamagedPemBlockIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error =
      load_error("-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
                 chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("damaged PEM block (block 1)"));
  EXPECT_THAT(error.message(), HasSubstr("bad base64 decode"));  // OpenSSL's reason.
  EXPECT_THAT(error.message(), EndsWith("(APIG.2106)"));

  // A truncated file (a renewal caught mid-write): no END line.
  const Error truncated = load_error(chain.leaf.substr(0, chain.leaf.size() / 2), chain.key.pem());
  EXPECT_EQ(truncated.code(), ErrorCode::ParseError);
  EXPECT_THAT(truncated.message(), HasSubstr("(APIG.2106)"));
}

TEST_F(CertBundleTest, ValidBase64ThatIsNoCertificateIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error =
      load_error("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
                 chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("certificate 1 is not a valid X.509 certificate"));
  EXPECT_THAT(error.message(), EndsWith("(APIG.2106)"));
}

TEST_F(CertBundleTest, PrivateKeyInCertificateFileIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  for (const KeyFormat format : {KeyFormat::Pkcs8, KeyFormat::Traditional}) {
    const std::string key_pem = chain.key.pem(format);
    const Error error = load_error(chain.fullchain() + key_pem, key_pem);
    EXPECT_EQ(error.code(), ErrorCode::ParseError);
    EXPECT_THAT(error.message(), HasSubstr("contains a private key (block 3"));
    EXPECT_THAT(error.message(), HasSubstr("must hold only certificates"));
    EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
    // The message names the block type, never key bytes.
    EXPECT_THAT(error.to_string(), ::testing::Not(HasSubstr(key_pem.substr(40, 40))));
  }
}

TEST_F(CertBundleTest, NoCertificateBlockIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error = load_error(chain.key.public_pem(), chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("contains a 'PUBLIC KEY' block"));
  EXPECT_THAT(error.message(), HasSubstr("only CERTIFICATE blocks"));
  EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
}

TEST_F(CertBundleTest, KeyFileWithoutKeyIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error = load_error(chain.fullchain(), chain.fullchain());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("holds no private key"));
  EXPECT_THAT(error.message(), HasSubstr("privkey.pem"));
  EXPECT_THAT(error.message(), HasSubstr("(APIG.2106)"));
}

TEST_F(CertBundleTest, KeyFileWithTwoKeysIsParseError) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const Error error = load_error(chain.fullchain(), chain.key.pem() + chain.key.pem());
  EXPECT_EQ(error.code(), ErrorCode::ParseError);
  EXPECT_THAT(error.message(), HasSubstr("holds 2 private keys"));
}

TEST_F(CertBundleTest, EncryptedKeysAreInvalidArgument) {
  const auto chain = make_chain({.sans = {"a.example.com"}}, KeyKind::Rsa2048);
  for (const KeyFormat format : {KeyFormat::EncryptedPkcs8, KeyFormat::EncryptedTraditional}) {
    const std::string key_pem = chain.key.pem(format, "secret");
    const Error error = load_error(chain.fullchain(), key_pem);
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(error.message(), HasSubstr("key file '"));
    EXPECT_THAT(error.message(), HasSubstr("encrypted private key"));
    EXPECT_THAT(error.message(), HasSubstr("(APIG.2105)"));
  }
  EXPECT_THAT(chain.key.pem(KeyFormat::EncryptedTraditional), HasSubstr("Proc-Type: 4,ENCRYPTED"));
}

TEST_F(CertBundleTest, KeyTypeNames) {
  EXPECT_EQ(to_string(KeyType::Rsa), "RSA");
  EXPECT_EQ(to_string(KeyType::Ec), "EC");
  EXPECT_EQ(to_string(KeyType::Ed25519), "Ed25519");
  EXPECT_EQ(to_string(KeyType::Other), "other");
  EXPECT_EQ(to_string(Severity::Error), "error");
  EXPECT_EQ(to_string(Severity::Warning), "warning");
}

}  // namespace
}  // namespace apig_certd::cert::bundle_test
