#include "daemon/apig/client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/fake_transport.h"

namespace apig_certd::apig::client_test {
namespace {

// Adds a token header; counts refreshes; can refuse to refresh.
class FakeAuthenticator final : public auth::Authenticator {
 public:
  Result<void> authorize(http::Request& request) override {
    request.headers.push_back({"X-Auth-Token", "token-" + std::to_string(generation_)});
    return {};
  }
  bool refresh_after_unauthorized() override {
    ++refreshes_;
    ++generation_;
    return refresh_helps_;
  }
  std::string_view method_name() const override { return "token"; }

  int refreshes_ = 0;
  int generation_ = 1;
  bool refresh_helps_ = true;
};

class ClientTest : public ::testing::Test {
 protected:
  testing::FakeTransport transport_;
  FakeAuthenticator authenticator_;
  Client client_{transport_, authenticator_,
                 ClientOptions{"https://apig.example", "proj", std::chrono::seconds(5)}};
};

TEST_F(ClientTest, GetGroupUsesTheDocumentedPath) {
  transport_.respond(
      200, R"({"id":"g1","url_domains":[{"id":"d1","domain":"a.example.com","cname_status":3}]})");
  const Result<Group> group = client_.get_group("inst", "g1");
  ASSERT_TRUE(group) << group.error().to_string();
  ASSERT_EQ(transport_.requests().size(), 1U);
  const testing::RecordedRequest& sent = transport_.requests()[0];
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.url, "https://apig.example/v2/proj/apigw/instances/inst/api-groups/g1");
  EXPECT_EQ(sent.header("X-Auth-Token"), "token-1");
  EXPECT_TRUE(sent.body.empty());
}

TEST_F(ClientTest, BindPostsNameContentAndKeyAsJson) {
  transport_.respond(
      201,
      R"({"id":"d1","url_domain":"a.example.com","ssl_id":"s9","ssl_name":"n_1234","status":3})");
  const Secret key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  const Result<BoundDomain> bound = client_.bind_certificate(
      "inst", "g1", "d1", {"n_1234", "-----BEGIN CERTIFICATE-----\n", &key, {}});
  ASSERT_TRUE(bound) << bound.error().to_string();
  EXPECT_EQ(bound->ssl_id, "s9");
  const testing::RecordedRequest& sent = transport_.requests().at(0);
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(
      sent.url,
      "https://apig.example/v2/proj/apigw/instances/inst/api-groups/g1/domains/d1/certificate");
  EXPECT_EQ(sent.header("Content-Type"), "application/json");
  const nlohmann::json body = nlohmann::json::parse(sent.body);
  EXPECT_EQ(body.at("name"), "n_1234");
  EXPECT_EQ(body.at("cert_content"), "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(body.at("private_key"), key.view());
}

TEST_F(ClientTest, RetriesOnceAfter401WhenAuthenticatorRefreshes) {
  transport_.respond(401, R"({"error_code":"APIG.1002","error_msg":"Incorrect token"})");
  transport_.respond(200, R"({"id":"g1"})");
  ASSERT_TRUE(client_.get_group("inst", "g1"));
  EXPECT_EQ(authenticator_.refreshes_, 1);
  ASSERT_EQ(transport_.requests().size(), 2U);
  EXPECT_EQ(transport_.requests()[1].header("X-Auth-Token"), "token-2");
}

TEST_F(ClientTest, PersistentUnauthorizedStopsAfterOneRefresh) {
  transport_.respond(401, R"({"error_code":"APIG.1002","error_msg":"Incorrect token"})");
  transport_.respond(401, R"({"error_code":"APIG.1002","error_msg":"Incorrect token"})");
  const Result<Group> group = client_.get_group("inst", "g1");
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code(), ErrorCode::PermissionDenied);
  EXPECT_EQ(transport_.requests().size(), 2U);
  EXPECT_NE(
      group.error().to_string().find("reading API group 'g1': APIG answered HTTP 401 APIG.1002"),
      std::string::npos)
      << group.error().to_string();
}

TEST_F(ClientTest, NoRetryWhenRefreshCannotHelp) {
  authenticator_.refresh_helps_ = false;
  transport_.respond(401,
                     R"({"error_code":"APIGW.0301","error_msg":"verify aksk signature fail"})");
  EXPECT_FALSE(client_.get_group("inst", "g1"));
  EXPECT_EQ(transport_.requests().size(), 1U);
}

// APIG.1005 is a missing permission (the code table lists it as 401): a fresh token would
// be refused the same way, so none is fetched.
TEST_F(ClientTest, NoPermissionIsNotATokenProblem) {
  transport_.respond(401, R"({"error_code":"APIG.1005","error_msg":"No permissions"})");
  const Result<Group> group = client_.get_group("inst", "g1");
  ASSERT_FALSE(group);
  EXPECT_EQ(authenticator_.refreshes_, 0);
  EXPECT_EQ(transport_.requests().size(), 1U);
  EXPECT_NE(group.error().to_string().find("grant the IAM user"), std::string::npos)
      << group.error().to_string();
}

// error_msg comes in English, whatever the account's language.
TEST_F(ClientTest, EveryRequestAsksForEnglishMessages) {
  transport_.respond(200, R"({"id":"g1"})");
  transport_.respond(204, "");
  ASSERT_TRUE(client_.get_group("inst", "g1"));
  ASSERT_TRUE(client_.delete_certificate("c1"));
  for (const testing::RecordedRequest& sent : transport_.requests()) {
    EXPECT_EQ(sent.header("X-Language"), "en-us") << sent.method << " " << sent.url;
  }
}

TEST_F(ClientTest, TransportErrorsKeepTheirCodeAndGainContext) {
  transport_.fail_with(Error(ErrorCode::Timeout, "GET https://apig.example/...: timed out"));
  const Result<Group> group = client_.get_group("inst", "g1");
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().code(), ErrorCode::Timeout);
  EXPECT_EQ(group.error().context().front(), "reading API group 'g1'");
}

TEST_F(ClientTest, DeleteAndUpdatePaths) {
  transport_.respond(204, "");
  ASSERT_TRUE(client_.delete_bound_certificate("inst", "g1", "d1", "s1"));
  EXPECT_EQ(transport_.requests()[0].method, "DELETE");
  EXPECT_EQ(
      transport_.requests()[0].url,
      "https://apig.example/v2/proj/apigw/instances/inst/api-groups/g1/domains/d1/certificate/s1");
  transport_.respond(200, R"({"id":"s1","name":"n_2222"})");
  const Secret key("k");
  ASSERT_TRUE(client_.update_certificate("s1", {"n_2222", "c", &key, {}}, {}));
  EXPECT_EQ(transport_.requests()[1].method, "PUT");
  EXPECT_EQ(transport_.requests()[1].url, "https://apig.example/v2/proj/apigw/certificates/s1");
}

TEST_F(ClientTest, PathSegmentsKeepUnreservedAndEncodeTheRest) {
  transport_.respond(200, R"({"id":"a/b c"})");
  ASSERT_TRUE(client_.get_group("abc-123_~.", "a/b c"));
  EXPECT_EQ(transport_.requests()[0].url,
            "https://apig.example/v2/proj/apigw/instances/abc-123_~./api-groups/a%2Fb%20c");
}

}  // namespace
}  // namespace apig_certd::apig::client_test
