// What holds a binding's slot on a domain (observe.h, bound_certificate()): a domain holds a
// set of certificates, one per algorithm, and a binding sees only the slot of its key's
// algorithm. Table-driven over the shapes APIG answers in (REFERENCE.md §2.7).

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/engine/observe.h"

namespace apig_certd::engine::bound_certificate_test {
namespace {

using apig::CertificateAlgorithm;
using apig::CertificateScope;

apig::SslInfo info(std::string id, CertificateAlgorithm algorithm,
                   CertificateScope scope = CertificateScope::Instance) {
  return {id, id + "_name", algorithm, scope};
}

struct Row {
  std::string name;
  apig::UrlDomain domain;
  CertificateAlgorithm slot = CertificateAlgorithm::Rsa;
  std::string ssl_id;  // expected; "" for an empty slot
  std::string ssl_name;
  CertificateScope scope = CertificateScope::Unknown;
};

class BoundCertificateTest : public ::testing::TestWithParam<Row> {};

TEST_P(BoundCertificateTest, SeesOnlyItsSlot) {
  const Row& row = GetParam();
  const BoundCertificate bound = bound_certificate(row.domain, row.slot);
  EXPECT_EQ(bound.ssl_id, row.ssl_id);
  EXPECT_EQ(bound.name, row.ssl_name);
  EXPECT_EQ(bound.scope, row.scope);
}

apig::UrlDomain rsa_and_ecc() {
  apig::UrlDomain domain;
  domain.ssl_id = "r";  // the domain's own fields name the RSA certificate only
  domain.ssl_name = "r_name";
  domain.ssl_infos = {info("r", CertificateAlgorithm::Rsa),
                      info("e", CertificateAlgorithm::Ecc, CertificateScope::Global)};
  return domain;
}

apig::UrlDomain ecc_only() {
  apig::UrlDomain domain;
  domain.ssl_infos = {info("e", CertificateAlgorithm::Ecc)};
  return domain;
}

apig::UrlDomain without_ssl_infos() {
  apig::UrlDomain domain;
  domain.ssl_id = "old";
  domain.ssl_name = "old_name";
  return domain;
}

const std::vector<Row> kRows = {
    {"RsaSlotOfASet", rsa_and_ecc(), CertificateAlgorithm::Rsa, "r", "r_name",
     CertificateScope::Instance},
    {"EccSlotOfASetIsTheGlobalOne", rsa_and_ecc(), CertificateAlgorithm::Ecc, "e", "e_name",
     CertificateScope::Global},
    {"Sm2SlotIsEmpty", rsa_and_ecc(), CertificateAlgorithm::Sm2, "", "", CertificateScope::Unknown},
    {"AnRsaBindingDoesNotSeeAnEccCertificate", ecc_only(), CertificateAlgorithm::Rsa, "", "",
     CertificateScope::Unknown},
    {"AnEccBindingSeesItsCertificate", ecc_only(), CertificateAlgorithm::Ecc, "e", "e_name",
     CertificateScope::Instance},
    {"WithoutSslInfosTheOwnFieldsWhateverTheSlot", without_ssl_infos(), CertificateAlgorithm::Ecc,
     "old", "old_name", CertificateScope::Unknown},
    {"UnknownSlotTakesTheOwnFields", rsa_and_ecc(), CertificateAlgorithm::Unknown, "r", "r_name",
     CertificateScope::Unknown},
    {"UnknownSlotWithoutOwnFieldsTakesTheFirstOfTheSet", ecc_only(), CertificateAlgorithm::Unknown,
     "e", "e_name", CertificateScope::Instance},
    {"NothingBound", apig::UrlDomain{}, CertificateAlgorithm::Rsa, "", "",
     CertificateScope::Unknown},
};

INSTANTIATE_TEST_SUITE_P(Slots, BoundCertificateTest, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& row) { return row.param.name; });

TEST(CertificateAlgorithm, FollowsTheKeyType) {
  cert::BundleFacts facts;
  facts.key_type = cert::KeyType::Rsa;
  EXPECT_EQ(certificate_algorithm(facts), CertificateAlgorithm::Rsa);
  facts.key_type = cert::KeyType::Ec;
  facts.ec_curve = "P-256";
  EXPECT_EQ(certificate_algorithm(facts), CertificateAlgorithm::Ecc);
  facts.ec_curve = "SM2";
  EXPECT_EQ(certificate_algorithm(facts), CertificateAlgorithm::Sm2);
  facts.key_type = cert::KeyType::Ed25519;
  EXPECT_EQ(certificate_algorithm(facts), CertificateAlgorithm::Unknown);
}

}  // namespace
}  // namespace apig_certd::engine::bound_certificate_test
