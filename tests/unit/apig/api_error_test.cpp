#include "daemon/apig/api_error.h"

#include <gtest/gtest.h>

namespace apig_certd::apig::api_error_test {
namespace {

http::Response response(long status, std::string body, std::vector<http::Header> headers = {}) {
  http::Response result;
  result.status = status;
  result.body = std::move(body);
  result.headers = std::move(headers);
  return result;
}

TEST(ApiError, CarriesCodeMessageHintAndRequestId) {
  const Error error = api_error(
      "binding certificate 'x' to domain 'd1'",
      response(
          400,
          R"({"error_code":"APIG.2101","error_msg":"The certificate does not match the private key"})",
          {{"X-Request-Id", "req-42"}}));
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(error.field("http_status"), "400");
  EXPECT_EQ(error.field("apig_error_code"), "APIG.2101");
  EXPECT_EQ(error.field("request_id"), "req-42");
  const std::string text = error.to_string();
  EXPECT_NE(text.find("binding certificate 'x' to domain 'd1': APIG answered HTTP 400 APIG.2101"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("the private key does not belong to the certificate"), std::string::npos);
  EXPECT_NE(text.find("(request id req-42)"), std::string::npos);
}

TEST(ApiError, RetryClassesFollowStatusAndCode) {
  EXPECT_EQ(
      api_error("x", response(500, R"({"error_code":"APIG.9008","error_msg":"Too many requests"})"))
          .code(),
      ErrorCode::Unavailable);
  EXPECT_EQ(api_error("x", response(429, "")).code(), ErrorCode::Unavailable);
  EXPECT_EQ(api_error("x", response(503, "<html>")).code(), ErrorCode::Unavailable);
  EXPECT_EQ(api_error("x", response(401, R"({"error_code":"APIG.1002"})")).code(),
            ErrorCode::PermissionDenied);
  EXPECT_EQ(api_error("x", response(404, R"({"error_code":"APIG.3020"})")).code(),
            ErrorCode::NotFound);
  EXPECT_EQ(api_error("x", response(400, R"({"error_code":"APIG.2051"})")).code(),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(api_error("x", response(409, R"({"error_code":"APIG.3711"})")).code(),
            ErrorCode::Unavailable);
}

TEST(ApiError, SignatureRejectionExplainsClockAndKeys) {
  const Error error = api_error(
      "x",
      response(401, R"({"error_code":"APIGW.0301","error_msg":"verify aksk signature fail"})"));
  EXPECT_NE(error.to_string().find("check the access key / secret key pair and the system clock"),
            std::string::npos);
}

TEST(ApiError, RetryAfterIsKept) {
  const Error error = api_error("x", response(429, "", {{"Retry-After", "7"}}));
  EXPECT_EQ(error.field("retry_after"), "7");
  EXPECT_NE(error.to_string().find("retrying with backoff"), std::string::npos);
}

TEST(ApiError, EveryDocumentedValidationCodeHasAHint) {
  for (const char* code :
       {"APIG.2101", "APIG.2102",  "APIG.2103", "APIG.2104", "APIG.2105", "APIG.2106",
        "APIG.2109", "APIG.3148",  "APIG.2012", "APIG.2051", "APIG.1002", "APIG.3020",
        "APIG.9008", "APIGW.0301", "APIG.1007", "APIG.1008", "APIG.2023", "APIG.2029",
        "APIG.3305", "APIG.3325",  "APIG.3708", "APIG.3709", "APIG.3715"}) {
    EXPECT_FALSE(hint_for(code).empty()) << code;
  }
}

}  // namespace
}  // namespace apig_certd::apig::api_error_test
