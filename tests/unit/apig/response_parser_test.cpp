#include "daemon/apig/response_parser.h"

#include <gtest/gtest.h>

namespace apig_certd::apig::response_parser_test {
namespace {

constexpr const char* kGroup = R"({
  "id": "c77f5e81d9cb4424bf704ef2b0ac7600", "name": "api_group_001", "status": 1,
  "sl_domain": "c77f5e81d9cb4424bf704ef2b0ac7600.apic.cn-north-4.huaweicloudapis.com",
  "sl_domains": ["c77f5e81d9cb4424bf704ef2b0ac7600.apic.cn-north-4.huaweicloudapis.com"],
  "unknown_future_field": {"nested": [1, 2, 3]},
  "url_domains": [
    {"id": "d1", "domain": "www.example.com", "cname_status": 3, "ssl_id": "s1",
     "ssl_name": "example_20270101_abcdef01", "min_ssl_version": "TLSv1.2",
     "ssl_infos": [{"ssl_id": "s1", "ssl_name": "example_20270101_abcdef01",
                    "algorithm_type": "RSA", "type": 1, "is_has_trusted_root_ca": false}]},
    {"id": "d2", "domain": "ecc.example.com", "cname_status": 2, "ssl_id": "", "ssl_name": null,
     "ssl_infos": [{"ssl_id": "e1", "ssl_name": "ecc_20270101_abcdef02", "algorithm_type": "ECC",
                    "type": 1}]},
    {"id": "d3", "domain": "new.example.com", "cname_status": 1}
  ]
})";

TEST(ParseGroup, ReadsDomainsAndToleratesUnknownAndMissingFields) {
  const Result<Group> group = parse_group(kGroup);
  ASSERT_TRUE(group) << group.error().to_string();
  EXPECT_EQ(group->id, "c77f5e81d9cb4424bf704ef2b0ac7600");
  ASSERT_EQ(group->url_domains.size(), 3U);
  const UrlDomain& rsa = group->url_domains[0];
  EXPECT_EQ(rsa.cname_status, CnameStatus::Resolved);
  EXPECT_EQ(rsa.ssl_id, "s1");
  ASSERT_EQ(rsa.ssl_infos.size(), 1U);
  EXPECT_EQ(rsa.ssl_infos[0].algorithm, CertificateAlgorithm::Rsa);
  EXPECT_EQ(rsa.ssl_infos[0].scope, CertificateScope::Instance);
  const UrlDomain& ecc = group->url_domains[1];
  EXPECT_TRUE(ecc.ssl_id.empty());
  EXPECT_TRUE(ecc.ssl_name.empty());  // null reads as missing.
  ASSERT_EQ(ecc.ssl_infos.size(), 1U);
  EXPECT_EQ(ecc.ssl_infos[0].ssl_id, "e1");
  EXPECT_EQ(ecc.ssl_infos[0].algorithm, CertificateAlgorithm::Ecc);
  EXPECT_TRUE(group->url_domains[2].ssl_infos.empty());
  EXPECT_EQ(group->find_domain_by_name("WWW.Example.COM.")->id, "d1");
  EXPECT_EQ(group->find_domain_by_id("d3")->domain, "new.example.com");
  EXPECT_EQ(group->find_domain_by_id("nope"), nullptr);
}

TEST(ParseGroup, GroupWithoutDomainsHasNone) {
  const Result<Group> group = parse_group(R"({"id":"g","name":"n"})");
  ASSERT_TRUE(group);
  EXPECT_TRUE(group->url_domains.empty());
}

struct BadBody {
  const char* body;
  const char* message;
};

class ParseGroupRejects : public ::testing::TestWithParam<BadBody> {};

TEST_P(ParseGroupRejects, NamingTheField) {
  const Result<Group> group = parse_group(GetParam().body);
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code(), ErrorCode::Unavailable);  // DESIGN §4.5: retry.
  EXPECT_EQ(group.error().field("bad_response"), "1");
  EXPECT_NE(group.error().message().find(GetParam().message), std::string::npos)
      << group.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, ParseGroupRejects,
    ::testing::Values(
        BadBody{"<html>502 Bad Gateway</html>", "not valid JSON (starts with '<html>502"},
        BadBody{"", "not valid JSON"}, BadBody{"[1,2]", "should be a JSON object, got array"},
        BadBody{R"({"name":"x"})", "field 'id' is missing"},
        BadBody{R"({"id":7})", "field 'id' should be a string, got number"},
        BadBody{R"({"id":"g","url_domains":{}})", "field 'url_domains' should be an array"},
        BadBody{R"({"id":"g","url_domains":[{"id":"d","cname_status":"3"}]})",
                "field 'url_domains[0].cname_status' should be an integer, got string"},
        BadBody{R"({"id":"g","url_domains":[{"id":"d","ssl_infos":[{"type":"1"}]}]})",
                "field 'url_domains[0].ssl_infos[0].type' should be an integer"},
        BadBody{R"({"id":"g","url_domains":[5]})", "'url_domains[0]' should be an object"},
        BadBody{R"({"id":"g","sl_domains":[1]})", "field 'sl_domains[0]' should be a string"}));

TEST(ParseBoundDomain, ReadsTheBindAnswer) {
  const Result<BoundDomain> bound = parse_bound_domain(
      R"({"ssl_name":"cert_demo","url_domain":"www.example.com","ssl_id":"a27b","id":"f6bb","status":3})");
  ASSERT_TRUE(bound) << bound.error().to_string();
  EXPECT_EQ(bound->id, "f6bb");
  EXPECT_EQ(bound->ssl_id, "a27b");
  EXPECT_EQ(bound->ssl_name, "cert_demo");
  EXPECT_EQ(bound->status, CnameStatus::Resolved);
}

TEST(ParseCertificate, ReadsFieldsAndSan) {
  const Result<Certificate> certificate = parse_certificate(
      R"({"id":"c1","name":"n","type":"global","instance_id":"common","common_name":"a.com",
          "san":["a.com","b.com"],"not_after":"2030-08-04T07:41:19Z","signature_algorithm":"SHA256-RSA"})");
  ASSERT_TRUE(certificate) << certificate.error().to_string();
  EXPECT_EQ(certificate->san.size(), 2U);
  EXPECT_EQ(certificate->not_after, "2030-08-04T07:41:19Z");
  EXPECT_FALSE(parse_certificate(R"({"id":"c1","san":"a.com"})"));
}

TEST(ParseErrorBody, ApigIamAndGarbage) {
  const ErrorBody apig =
      parse_error_body(R"({"error_code":"APIG.2101","error_msg":"mismatch","request_id":"r1"})");
  EXPECT_EQ(apig.error_code, "APIG.2101");
  EXPECT_EQ(apig.error_msg, "mismatch");
  EXPECT_EQ(apig.request_id, "r1");
  const ErrorBody sdk =
      parse_error_body(R"({"code":"APIGW.0301","message":"verify aksk signature fail"})");
  EXPECT_EQ(sdk.error_code, "APIGW.0301");
  const ErrorBody iam = parse_error_body(
      R"({"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}})");
  EXPECT_EQ(iam.error_code, "401");
  EXPECT_EQ(iam.error_msg, "The username or password is wrong.");
  const ErrorBody garbage = parse_error_body("<html>");
  EXPECT_TRUE(garbage.error_code.empty());
}

}  // namespace
}  // namespace apig_certd::apig::response_parser_test
