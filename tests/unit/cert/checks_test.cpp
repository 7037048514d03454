// check_bundle(), check_domain() and san_covers(): every failing check on a real, generated
// bundle, asserting severity, APIG code and the words an operator reads.

#include "daemon/cert/checks.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/cert/bundle.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"

namespace apig_certd::cert {

// gtest finds this by argument-dependent lookup, so it lives in Problem's namespace.
void PrintTo(const Problem& problem, std::ostream* out);
void PrintTo(const Problem& problem, std::ostream* out) {
  *out << "{" << to_string(problem.severity) << ", '" << problem.apig_code << "', \""
       << problem.message << "\"}";
}

}  // namespace apig_certd::cert

namespace apig_certd::cert::checks_test {

namespace {

using std::chrono::hours;
using testing::CertSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KeyKind;
using testing::make_chain;
using testing::TempDir;
using testing::TestCa;

class CertChecksTest : public ::testing::Test {
 protected:
  std::optional<Bundle> load(std::string_view cert_pem, std::string_view key_pem) {
    const auto lineage = testing::write_lineage(temp_dir_, "lineage", cert_pem, key_pem);
    auto bundle = load_bundle({lineage.cert, lineage.key});
    if (!bundle) {
      ADD_FAILURE() << bundle.error().to_string();
      return std::nullopt;
    }
    return std::move(*bundle);
  }

  std::vector<Problem> problems_of(const CertSpec& spec, KeyKind kind = KeyKind::EcP256) {
    const auto chain = make_chain(spec, kind);
    const auto bundle = load(chain.fullchain(), chain.key.pem());
    if (!bundle) {
      return {};
    }
    return check_bundle(*bundle, std::chrono::system_clock::now());
  }

  TempDir temp_dir_;
};

MATCHER_P2(IsProblem, apig_code, words, "") {
  return arg.severity == Severity::Error && arg.apig_code == apig_code &&
         arg.message.find(words) != std::string::npos;
}

MATCHER_P2(IsWarning, apig_code, words, "") {
  return arg.severity == Severity::Warning && arg.apig_code == apig_code &&
         arg.message.find(words) != std::string::npos;
}

TEST_F(CertChecksTest, KeyThatMatchesNoCertificateIsApig2101) {
  const auto chain = make_chain({.sans = {"a.example.com"}}, KeyKind::EcP256);
  const auto other_key = testing::make_key(KeyKind::EcP256);
  const auto bundle = load(chain.fullchain(), other_key.pem());
  ASSERT_TRUE(bundle.has_value());
  EXPECT_FALSE(bundle->key_matches_leaf());
  EXPECT_EQ(bundle->sha256(), testing::sha256_fingerprint(chain.leaf));  // The first one.
  const auto problems = check_bundle(*bundle, std::chrono::system_clock::now());
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2101", "does not belong to any certificate in"));
  EXPECT_THAT(problems[0].message, HasSubstr(bundle->paths().key));
  EXPECT_THAT(problems[0].message, HasSubstr(bundle->paths().cert));
}

TEST_F(CertChecksTest, LeafAfterItsIssuerIsApig2104WithPosition) {
  const auto chain = make_chain({.sans = {"a.example.com"}, .common_name = "a.example.com"});
  const auto bundle = load(chain.intermediate + chain.leaf, chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  // The facts are the leaf's even so; certificate_pem() puts it first.
  EXPECT_TRUE(bundle->key_matches_leaf());
  EXPECT_EQ(bundle->leaf_file_position(), 2U);
  EXPECT_EQ(bundle->common_name(), "a.example.com");
  EXPECT_EQ(bundle->certificate_pem(), chain.fullchain());
  const auto problems = check_bundle(*bundle, std::chrono::system_clock::now());
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2104", "out of order"));
  EXPECT_THAT(problems[0].message, HasSubstr("is certificate 2 of the file"));
  EXPECT_THAT(problems[0].message, HasSubstr("put the leaf first"));
}

TEST_F(CertChecksTest, ChainInWrongOrderIsApig2104ForEachBrokenLink) {
  const TestCa root = TestCa::create("Order Root");
  const TestCa issuing = root.intermediate("Order Issuing");
  const auto key = testing::shared_key(KeyKind::EcP256);
  const std::string leaf = issuing.issue({.sans = {"a.example.com"}}, key);
  const auto bundle = load(leaf + root.pem() + issuing.pem(), key.pem());
  ASSERT_TRUE(bundle.has_value());
  ASSERT_EQ(bundle->chain_links().size(), 2U);
  EXPECT_FALSE(bundle->chain_links()[0].issues_previous);
  EXPECT_TRUE(bundle->chain_links()[0].issues_other);
  EXPECT_TRUE(bundle->chain_links()[0].self_signed);
  const auto problems = check_bundle(*bundle, std::chrono::system_clock::now());
  ASSERT_EQ(problems.size(), 2U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2104", "is out of order: certificate 2 ("));
  EXPECT_THAT(problems[0].message, HasSubstr("CN = Order Root) follows certificate 1 ("));
  EXPECT_THAT(problems[0].message, HasSubstr("but did not issue it"));
  EXPECT_THAT(problems[1], IsProblem("APIG.2104", "is out of order: certificate 3 ("));
  EXPECT_THAT(problems[1].message, HasSubstr("CN = Order Issuing) follows certificate 2"));
}

TEST_F(CertChecksTest, CertificateThatSignsNothingIsApig2104) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const TestCa stranger = TestCa::create("Stranger Root");
  const auto bundle = load(chain.fullchain() + stranger.pem(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  const auto problems = check_bundle(*bundle, std::chrono::system_clock::now());
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2104", "certificate 3 ("));
  EXPECT_THAT(problems[0].message, HasSubstr("Stranger Root"));
  EXPECT_THAT(problems[0].message, HasSubstr("signs no certificate in the chain"));
}

TEST_F(CertChecksTest, IssuerWithTheRightNameButAnotherKeyIsCaught) {
  // Same subject name as the real intermediate but another key: the names line up, the key
  // identifier and the signature do not.
  const TestCa root = TestCa::create("Twin Root");
  const TestCa real = root.intermediate("Twin Issuing");
  const TestCa impostor = root.intermediate("Twin Issuing");
  const auto key = testing::shared_key(KeyKind::EcP256);
  const auto bundle =
      load(real.issue({.sans = {"a.example.com"}}, key) + impostor.pem(), key.pem());
  ASSERT_TRUE(bundle.has_value());
  const auto problems = check_bundle(*bundle, std::chrono::system_clock::now());
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2104", "signs no certificate"));
}

TEST_F(CertChecksTest, TrailingSelfSignedRootIsAllowed) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto bundle = load(chain.fullchain() + chain.root, chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  EXPECT_EQ(bundle->chain_length(), 2U);
  EXPECT_TRUE(bundle->chain_links()[1].self_signed);
  EXPECT_TRUE(check_bundle(*bundle, std::chrono::system_clock::now()).empty());
}

TEST_F(CertChecksTest, LeafAloneAndSelfSignedLeafPass) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto leaf_only = load(chain.leaf, chain.key.pem());
  ASSERT_TRUE(leaf_only.has_value());
  EXPECT_EQ(leaf_only->chain_length(), 0U);
  EXPECT_TRUE(check_bundle(*leaf_only, std::chrono::system_clock::now()).empty());

  const auto key = testing::shared_key(KeyKind::EcP384);
  const auto self_signed = load(testing::self_signed({.sans = {"a.example.com"}}, key), key.pem());
  ASSERT_TRUE(self_signed.has_value());
  EXPECT_TRUE(check_bundle(*self_signed, std::chrono::system_clock::now()).empty());
}

TEST_F(CertChecksTest, ExpiredIsApig2102) {
  const auto problems = problems_of({.sans = {"a.example.com"},
                                     .common_name = "a.example.com",
                                     .not_before_offset = -hours(48),
                                     .not_after_offset = -hours(1)});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2102", "expired on"));
  EXPECT_THAT(problems[0].message, HasSubstr("'a.example.com'"));
  EXPECT_THAT(problems[0].message, HasSubstr("renew it"));
}

TEST_F(CertChecksTest, ValidityBoundsAreInclusive) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  EXPECT_TRUE(check_bundle(*bundle, bundle->not_before()).empty());
  EXPECT_TRUE(check_bundle(*bundle, bundle->not_after()).empty());
  EXPECT_THAT(check_bundle(*bundle, bundle->not_after() + std::chrono::seconds(1)),
              ElementsAre(IsProblem("APIG.2102", "expired")));
  EXPECT_THAT(check_bundle(*bundle, bundle->not_before() - std::chrono::seconds(1)),
              ElementsAre(IsProblem("", "is not valid before")));
}

TEST_F(CertChecksTest, NotYetValidIsAnError) {
  const auto problems = problems_of(
      {.sans = {"a.example.com"}, .not_before_offset = hours(2), .not_after_offset = hours(48)});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("", "is not valid before"));
  EXPECT_THAT(problems[0].message, HasSubstr("clock"));
}

TEST_F(CertChecksTest, NoDnsSanIsApig2109) {
  const auto problems = problems_of({.ip_sans = {"192.0.2.1"}, .common_name = "a.example.com"});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.2109", "has no DNS subject alternative name"));
  EXPECT_THAT(problems_of({.common_name = "a.example.com"}),
              ElementsAre(IsProblem("APIG.2109", "no DNS subject alternative name")));
}

TEST_F(CertChecksTest, NotAfterUpTo2038BoundaryIsAccepted) {
  const SystemTime last_second = SystemTime(kLatestApigNotAfter);  // 2038-01-19T03:14:07Z
  EXPECT_TRUE(problems_of({.sans = {"a.example.com"}, .not_after_absolute = last_second}).empty());

  const auto problems = problems_of(
      {.sans = {"a.example.com"}, .not_after_absolute = last_second + std::chrono::seconds(1)});
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("APIG.3148", "2038-01-19T03:14:08Z"));
  EXPECT_THAT(problems[0].message, HasSubstr("later than the 2038-01-19T03:14:07Z"));
}

TEST_F(CertChecksTest, SmallRsaKeyIsAnError) {
  const auto problems = problems_of({.sans = {"a.example.com"}}, KeyKind::Rsa1024);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("", "has 1024 bits"));
  EXPECT_THAT(problems[0].message, HasSubstr("at least 2048 bits"));
}

TEST_F(CertChecksTest, Ed25519IsUnsupported) {
  const auto problems = problems_of({.sans = {"a.example.com"}}, KeyKind::Ed25519);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsProblem("", "is of type Ed25519, which APIG does not support"));
}

TEST_F(CertChecksTest, P521IsAWarning) {
  const auto problems = problems_of({.sans = {"a.example.com"}}, KeyKind::EcP521);
  ASSERT_EQ(problems.size(), 1U);
  EXPECT_THAT(problems[0], IsWarning("", "uses curve P-521"));
}

TEST_F(CertChecksTest, EveryFailingCheckIsReported) {
  const auto other_key = testing::make_key(KeyKind::Rsa1024);
  const auto chain = make_chain({.common_name = "old.example.com",
                                 .not_before_offset = -hours(48),
                                 .not_after_offset = -hours(1)},
                                KeyKind::Rsa1024);
  const auto bundle = load(chain.fullchain(), other_key.pem());
  ASSERT_TRUE(bundle.has_value());
  const auto problems = check_bundle(*bundle, std::chrono::system_clock::now());
  EXPECT_THAT(problems, ElementsAre(IsProblem("APIG.2101", "does not belong"),
                                    IsProblem("APIG.2102", "expired"),
                                    IsProblem("APIG.2109", "no DNS subject alternative name"),
                                    IsProblem("", "1024 bits")));
}

// check_domain

TEST_F(CertChecksTest, DomainCoverageAcrossSeveralSans) {
  const auto chain = make_chain({.sans = {"example.com", "*.Example.com", "API.example.org"}});
  const auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  EXPECT_THAT(bundle->sans(), ElementsAre("example.com", "*.example.com", "api.example.org"));

  for (const std::string_view covered :
       {"example.com", "www.example.com", "WWW.Example.COM.", "api.example.org"}) {
    EXPECT_EQ(check_domain(*bundle, covered), std::nullopt) << covered;
  }
  for (const std::string_view uncovered :
       {"a.b.example.com", "example.org", "www.example.org", "example.com.cn"}) {
    const auto problem = check_domain(*bundle, uncovered);
    ASSERT_TRUE(problem.has_value()) << uncovered;
    EXPECT_THAT(*problem,
                IsProblem("APIG.2103", "does not cover domain '" + std::string(uncovered) + "'"));
    EXPECT_THAT(problem->message,
                HasSubstr("(its DNS names: example.com, *.example.com, api.example.org)"));
    EXPECT_THAT(problem->message, HasSubstr(bundle->paths().cert));
  }
}

TEST_F(CertChecksTest, InternationalisedDomainsNeedTheALabelForm) {
  const auto chain = make_chain({.sans = {"xn--bcher-kva.example", "*.xn--bcher-kva.example"}});
  const auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  EXPECT_EQ(check_domain(*bundle, "xn--bcher-kva.example"), std::nullopt);
  EXPECT_EQ(check_domain(*bundle, "shop.xn--bcher-kva.example"), std::nullopt);

  const auto problem = check_domain(*bundle,
                                    "b\xC3\xBC"
                                    "cher.example");  // bücher.example
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, IsProblem("APIG.2103", "is not ASCII"));
  EXPECT_THAT(problem->message, HasSubstr("A-label form (xn--"));
}

TEST_F(CertChecksTest, EmptyDomainIsAProblem) {
  const auto chain = make_chain({.sans = {"a.example.com"}});
  const auto bundle = load(chain.fullchain(), chain.key.pem());
  ASSERT_TRUE(bundle.has_value());
  const auto problem = check_domain(*bundle, "");
  ASSERT_TRUE(problem.has_value());
  EXPECT_THAT(*problem, IsProblem("", "the target domain is empty"));
}

// san_covers: the whole table.

struct CoverCase {
  std::string_view san;
  std::string_view domain;
  bool covered;
};

class CertSanCoversTest : public ::testing::TestWithParam<CoverCase> {};

TEST_P(CertSanCoversTest, MatchesTheTable) {
  const CoverCase& c = GetParam();
  EXPECT_EQ(san_covers(c.san, c.domain), c.covered)
      << "san '" << c.san << "' domain '" << c.domain << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Table, CertSanCoversTest,
    ::testing::Values(
        // Exact, case-insensitive, one trailing dot on either side.
        CoverCase{"a.com", "a.com", true}, CoverCase{"A.Com", "a.COM", true},
        CoverCase{"a.com.", "a.com", true}, CoverCase{"a.com", "a.com.", true},
        CoverCase{"a.com", "a.com..", false}, CoverCase{"a.com", "b.com", false},
        CoverCase{"a.com", "www.a.com", false}, CoverCase{"www.a.com", "a.com", false},
        CoverCase{"a.com", "aa.com", false}, CoverCase{"", "", false},
        CoverCase{"a.com", "", false}, CoverCase{"", "a.com", false},
        // One left-most wildcard label covers exactly one label.
        CoverCase{"*.a.com", "b.a.com", true}, CoverCase{"*.A.com", "B.a.COM.", true},
        CoverCase{"*.a.com", "a.com", false}, CoverCase{"*.a.com", "b.c.a.com", false},
        CoverCase{"*.a.com", ".a.com", false}, CoverCase{"*.a.com", "b.a.org", false},
        CoverCase{"*.a.com", "ba.com", false}, CoverCase{"*.b.a.com", "c.b.a.com", true},
        CoverCase{"*.b.a.com", "c.a.com", false},
        // Wildcards that are not honoured.
        CoverCase{"*", "a", false}, CoverCase{"*", "a.com", false},
        CoverCase{"*.com", "a.com", false}, CoverCase{"a*.b.com", "ab.b.com", false},
        CoverCase{"*a.b.com", "ba.b.com", false}, CoverCase{"a.*.com", "a.b.com", false},
        CoverCase{"*.*.com", "a.b.com", false}, CoverCase{"**.b.com", "a.b.com", false},
        // A wildcard target is covered only by the identical wildcard SAN.
        CoverCase{"*.a.com", "*.a.com", true}, CoverCase{"*.a.com", "*.b.a.com", false},
        CoverCase{"a.a.com", "*.a.com", false},
        // A-labels are ordinary labels; U-labels never match.
        CoverCase{"xn--bcher-kva.example", "xn--bcher-kva.example", true},
        CoverCase{"*.xn--bcher-kva.example", "www.xn--bcher-kva.example", true},
        CoverCase{"*.example", "xn--bcher-kva.example", false},
        CoverCase{"*.a.example", "xn--bcher-kva.a.example", true},
        CoverCase{"xn--bcher-kva.example",
                  "b\xC3\xBC"
                  "cher.example",
                  false},
        CoverCase{"b\xC3\xBC"
                  "cher.example",
                  "b\xC3\xBC"
                  "cher.example",
                  false}));

}  // namespace
}  // namespace apig_certd::cert::checks_test
