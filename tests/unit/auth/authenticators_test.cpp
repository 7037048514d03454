#include <gtest/gtest.h>

#include "daemon/auth/aksk_authenticator.h"
#include "daemon/auth/aksk_signer.h"
#include "daemon/auth/token_authenticator.h"
#include "daemon/core/ascii.h"
#include "tests/support/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::auth::authenticators_test {
namespace {

SecretReader constant(std::string value) {
  return [value] { return Result<Secret>(Secret(value)); };
}

std::string header(const http::Request& request, std::string_view name) {
  for (const http::Header& entry : request.headers) {
    if (equals_ignoring_case(entry.name, name)) {
      return entry.value;
    }
  }
  return {};
}

TEST(AkSkAuthenticator, SignsWithProjectAndDateThatTheVerifierAccepts) {
  const testing::FakeClock clock;
  AkSkAuthenticator authenticator(constant("AKEXAMPLE"), constant("sk-very-secret"), std::nullopt,
                                  "proj123", clock);
  http::Request request;
  request.method = "POST";
  request.url = "https://apig.example.com/v2/proj123/apigw/instances/i/api-groups/g";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = Secret(R"({"a":"b"})");
  ASSERT_TRUE(authenticator.authorize(request));
  EXPECT_EQ(header(request, "X-Project-Id"), "proj123");
  EXPECT_EQ(header(request, "X-Sdk-Date"), format_sdk_date(clock.now()));
  EXPECT_TRUE(header(request, "Authorization").starts_with("SDK-HMAC-SHA256 Access=AKEXAMPLE, "));

  std::vector<Header> received;
  for (const http::Header& entry : request.headers) {
    received.push_back({entry.name, entry.value});
  }
  const Result<void> verified = verify(
      ReceivedRequest{"POST", "/v2/proj123/apigw/instances/i/api-groups/g", "", received,
                      request.body.view()},
      [](std::string_view ak) -> std::optional<Secret> {
        return ak == "AKEXAMPLE" ? std::optional<Secret>(Secret("sk-very-secret")) : std::nullopt;
      },
      clock.now());
  EXPECT_TRUE(verified) << verified.error().to_string();
}

TEST(AkSkAuthenticator, TemporaryCredentialsSendTheSecurityToken) {
  const testing::FakeClock clock;
  AkSkAuthenticator authenticator(constant("AK"), constant("SK"), constant("sts-token"), "p",
                                  clock);
  http::Request request;
  request.url = "https://apig.example.com/v2/p/apigw";
  ASSERT_TRUE(authenticator.authorize(request));
  EXPECT_EQ(header(request, "X-Security-Token"), "sts-token");
  EXPECT_NE(header(request, "Authorization").find("x-security-token"), std::string::npos);
}

TEST(AkSkAuthenticator, RefreshSaysWhetherTheKeysChanged) {
  const testing::FakeClock clock;
  std::string current_secret = "one";
  AkSkAuthenticator authenticator(
      constant("AK"), [&current_secret] { return Result<Secret>(Secret(current_secret)); },
      std::nullopt, "p", clock);
  http::Request request;
  request.url = "https://apig.example.com/v2/p/apigw";
  ASSERT_TRUE(authenticator.authorize(request));
  EXPECT_FALSE(authenticator.refresh_after_unauthorized());
  current_secret = "two";
  EXPECT_TRUE(authenticator.refresh_after_unauthorized());
}

TEST(AkSkAuthenticator, UnreadableKeyIsAnErrorWithoutTheKey) {
  const testing::FakeClock clock;
  AkSkAuthenticator authenticator(
      constant("AK"),
      [] { return Result<Secret>(fail(ErrorCode::NotFound, "secret_key_file '/x' is missing")); },
      std::nullopt, "p", clock);
  http::Request request;
  request.url = "https://apig.example.com/v2/p/apigw";
  const Result<void> result = authenticator.authorize(request);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::NotFound);
  EXPECT_EQ(result.error().to_string(),
            "reading the AK/SK credentials: secret_key_file '/x' is missing");
}

TEST(TokenAuthenticator, ReReadsTheFileWhenItChanges) {
  const testing::TempDir temp_dir;
  const std::filesystem::path file = temp_dir.path() / "token";
  temp_dir.write("token", "first-token");
  int reads = 0;
  TokenAuthenticator authenticator(
      [&] {
        ++reads;
        return Result<Secret>(Secret(testing::read_file(file)));
      },
      file);
  http::Request request;
  ASSERT_TRUE(authenticator.authorize(request));
  EXPECT_EQ(header(request, "X-Auth-Token"), "first-token");
  http::Request again;
  ASSERT_TRUE(authenticator.authorize(again));
  EXPECT_EQ(reads, 1);  // Unchanged file: no second read.

  temp_dir.write("token", "second-token-longer");
  http::Request after_change;
  ASSERT_TRUE(authenticator.authorize(after_change));
  EXPECT_EQ(header(after_change, "X-Auth-Token"), "second-token-longer");
  EXPECT_EQ(reads, 2);
  EXPECT_FALSE(authenticator.refresh_after_unauthorized());  // Same token: retry is pointless.
}

TEST(TokenAuthenticator, EmptyTokenIsRefused) {
  TokenAuthenticator authenticator([] { return Result<Secret>(Secret("")); }, {});
  http::Request request;
  const Result<void> result = authenticator.authorize(request);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message(), "the token is empty");
}

}  // namespace
}  // namespace apig_certd::auth::authenticators_test
