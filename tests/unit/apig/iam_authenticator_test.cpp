#include "daemon/apig/iam_authenticator.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/core/ascii.h"
#include "daemon/core/time_format.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_transport.h"

namespace apig_certd::apig::iam_authenticator_test {
namespace {

constexpr const char* kPassword = "p@ss\"word\\with-escapes";

class IamAuthenticatorTest : public ::testing::Test {
 protected:
  void respond_token(const std::string& token, SystemTime expires_at) {
    transport_.respond(201,
                       R"({"token":{"expires_at":")" +
                           format_utc_iso8601(expires_at).substr(0, 19) +
                           R"(.701000Z","methods":["password"]}})",
                       {{"X-Subject-Token", token}});
  }
  static std::string header(const http::Request& request, std::string_view name) {
    for (const http::Header& entry : request.headers) {
      if (equals_ignoring_case(entry.name, name)) {
        return entry.value;
      }
    }
    return {};
  }

  testing::FakeClock clock_;
  testing::FakeTransport transport_;
  IamPasswordAuthenticator authenticator_{
      transport_, [] { return Result<Secret>(Secret(kPassword)); },
      IamOptions{"https://iam.example", "acct", "bot", "proj", std::chrono::hours(1),
                 std::chrono::seconds(5)},
      clock_};
};

TEST_F(IamAuthenticatorTest, FetchesAProjectScopedTokenOnce) {
  respond_token("tok-1", clock_.now() + std::chrono::hours(24));
  http::Request first;
  ASSERT_TRUE(authenticator_.authorize(first));
  http::Request second;
  ASSERT_TRUE(authenticator_.authorize(second));
  EXPECT_EQ(header(second, "X-Auth-Token"), "tok-1");
  EXPECT_EQ(authenticator_.tokens_fetched(), 1);

  ASSERT_EQ(transport_.requests().size(), 1U);
  const testing::RecordedRequest& sent = transport_.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://iam.example/v3/auth/tokens?nocatalog=true");
  const nlohmann::json body = nlohmann::json::parse(sent.body);
  EXPECT_EQ(body["auth"]["identity"]["methods"][0], "password");
  EXPECT_EQ(body["auth"]["identity"]["password"]["user"]["name"], "bot");
  EXPECT_EQ(body["auth"]["identity"]["password"]["user"]["password"], kPassword);
  EXPECT_EQ(body["auth"]["identity"]["password"]["user"]["domain"]["name"], "acct");
  EXPECT_EQ(body["auth"]["scope"]["project"]["id"], "proj");
}

TEST_F(IamAuthenticatorTest, RefreshesAnHourBeforeExpiry) {
  respond_token("tok-1", clock_.now() + std::chrono::hours(3));
  http::Request request;
  ASSERT_TRUE(authenticator_.authorize(request));
  clock_.advance(std::chrono::minutes(119));
  ASSERT_TRUE(authenticator_.authorize(request));
  EXPECT_EQ(authenticator_.tokens_fetched(), 1);
  clock_.advance(std::chrono::minutes(2));  // Now 59 minutes before expiry.
  respond_token("tok-2", clock_.now() + std::chrono::hours(24));
  http::Request later;
  ASSERT_TRUE(authenticator_.authorize(later));
  EXPECT_EQ(header(later, "X-Auth-Token"), "tok-2");
  EXPECT_EQ(authenticator_.tokens_fetched(), 2);
}

TEST_F(IamAuthenticatorTest, UnauthorizedDropsTheToken) {
  respond_token("tok-1", clock_.now() + std::chrono::hours(24));
  http::Request request;
  ASSERT_TRUE(authenticator_.authorize(request));
  EXPECT_TRUE(authenticator_.refresh_after_unauthorized());
  respond_token("tok-2", clock_.now() + std::chrono::hours(24));
  http::Request retry;
  ASSERT_TRUE(authenticator_.authorize(retry));
  EXPECT_EQ(header(retry, "X-Auth-Token"), "tok-2");
}

TEST_F(IamAuthenticatorTest, WrongPasswordIsExplainedWithoutThePassword) {
  transport_.respond(
      401,
      R"({"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}})");
  http::Request request;
  const Result<void> result = authenticator_.authorize(request);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::PermissionDenied);
  const std::string text = result.error().to_string();
  EXPECT_NE(text.find("IAM refused the user name, account or password"), std::string::npos) << text;
  EXPECT_NE(text.find("The username or password is wrong."), std::string::npos);
  EXPECT_EQ(text.find(kPassword), std::string::npos);
}

TEST_F(IamAuthenticatorTest, AnswerWithoutTokenHeaderOrExpiryIsAnError) {
  transport_.respond(201, R"({"token":{"expires_at":"2099-01-01T00:00:00Z"}})");
  http::Request request;
  EXPECT_FALSE(authenticator_.authorize(request));
  transport_.respond(201, R"({"token":{}})", {{"X-Subject-Token", "t"}});
  const Result<void> missing_expiry = authenticator_.authorize(request);
  ASSERT_FALSE(missing_expiry);
  EXPECT_NE(missing_expiry.error().to_string().find("token.expires_at"), std::string::npos);
}

}  // namespace
}  // namespace apig_certd::apig::iam_authenticator_test
