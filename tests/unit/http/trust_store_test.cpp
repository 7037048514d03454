// TrustStore: the system bundle plus apig.ca_file, parsed once (the transports share it; the
// integration tests show the HTTPS side, with and without the test CA).

#include "daemon/http/trust_store.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::http::trust_store_test {
namespace {

using testing::TempDir;
using testing::TestCa;

int system_certificates() {
  Result<std::shared_ptr<const TrustStore>> system = TrustStore::load({});
  EXPECT_TRUE(system) << system.error().to_string();
  return system ? (*system)->certificates() : -1;
}

TEST(TrustStore, AddsTheCaFileToTheSystemBundle) {
  const TempDir temp;
  const TestCa first = TestCa::create("trust store test CA 1");
  const TestCa second = TestCa::create("trust store test CA 2");
  const std::filesystem::path ca_file = temp.write(
      "ca.pem", "# two CAs, with text around them\n" + first.pem() + "\n" + second.pem());
  Result<std::shared_ptr<const TrustStore>> store = TrustStore::load(ca_file);
  ASSERT_TRUE(store) << store.error().to_string();
  EXPECT_NE((*store)->get(), nullptr);
  EXPECT_EQ((*store)->certificates(), system_certificates() + 2);
}

TEST(TrustStore, MissingCaFileIsNotFoundAndNamed) {
  const TempDir temp;
  Result<std::shared_ptr<const TrustStore>> store = TrustStore::load(temp / "absent.pem");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code(), ErrorCode::NotFound);
  EXPECT_NE(store.error().to_string().find("absent.pem"), std::string::npos);
}

TEST(TrustStore, CaFileWithoutAReadableCertificateIsAParseError) {
  const TempDir temp;
  for (const std::string& content :
       {std::string("not a certificate\n"),
        std::string(
            "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")}) {
    Result<std::shared_ptr<const TrustStore>> store =
        TrustStore::load(temp.write("broken.pem", content));
    ASSERT_FALSE(store) << content;
    EXPECT_EQ(store.error().code(), ErrorCode::ParseError) << content;
    EXPECT_NE(store.error().to_string().find("broken.pem"), std::string::npos);
  }
}

TEST(TrustStore, SystemBundleAloneLoads) {
  // ca-certificates is one of scripts/install-deps.sh's packages: the system CAs load.
  EXPECT_GT(system_certificates(), 0);
}

}  // namespace
}  // namespace apig_certd::http::trust_store_test
