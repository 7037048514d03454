#include "daemon/auth/aksk_signer.h"

#include <cctype>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/crypto/digest.h"

namespace apig_certd::auth::aksk_signer_test {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

constexpr std::string_view kAccessKey = "HPUAZ8TQ0EXAMPLEAKID";
constexpr std::string_view kSecretKey = "Qm9ndXNTZWNyZXRLZXlGb3JUZXN0VmVjdG9yc09ubHk";
constexpr std::string_view kSdkDate = "20250115T083000Z";
constexpr std::string_view kUrl =
    "https://apig.cn-north-4.myhuaweicloud.com/v2/p1/apigw/instances/i1/api-groups/g1/domains/"
    "d1/certificate?b=2&a=1";
constexpr std::string_view kBody = R"({"name":"cert-demo"})";

Credentials credentials(std::string_view secret_key = kSecretKey) {
  return Credentials{std::string(kAccessKey), Secret(std::string(secret_key)), std::nullopt};
}

SystemTime sdk_time() {
  auto time = parse_sdk_date(kSdkDate);
  EXPECT_TRUE(time.has_value());
  return time.value_or(SystemTime{});
}

std::optional<Secret> lookup(std::string_view access_key) {
  if (access_key == kAccessKey) {
    return Secret(std::string(kSecretKey));
  }
  return std::nullopt;
}

const std::vector<Header>& json_headers() {
  static const std::vector<Header> headers = {{"Content-Type", "application/json"}};
  return headers;
}

SignedRequest sign_ok(const RequestToSign& request, const Credentials& with = credentials()) {
  auto signed_request = sign(request, with);
  EXPECT_TRUE(signed_request.has_value()) << signed_request.error().to_string();
  return signed_request.value_or(SignedRequest{});
}

RequestToSign default_request() {
  return RequestToSign{"POST", kUrl, json_headers(), kBody, kSdkDate, "p1"};
}

// What a server receives for a request signed from default_request().
struct Received {
  std::string method = "POST";
  std::string path = "/v2/p1/apigw/instances/i1/api-groups/g1/domains/d1/certificate";
  std::string query = "b=2&a=1";
  std::vector<Header> headers;
  std::string body = std::string(kBody);

  [[nodiscard]] ReceivedRequest view() const {
    return ReceivedRequest{method, path, query, headers, body};
  }
};

Received received_for(const SignedRequest& signed_request) {
  Received received;
  received.headers = signed_request.headers;
  return received;
}

Header* find(std::vector<Header>& headers, std::string_view name) {
  for (Header& header : headers) {
    if (header.name == name) {
      return &header;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// The documented example (REFERENCE.md §7, Huawei's "API Request Signing Guide").

TEST(AkSkSigner, ReproducesTheDocumentedExample) {
  const std::vector<Header> headers = {{"Content-Type", "application/json"}};
  auto signed_request = sign_ok(
      RequestToSign{"GET",
                    "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/"
                    "vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
                    headers, "", "20191115T033655Z", ""},
      Credentials{"QTWAOYTTINDUT2QVKYUC", Secret("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"),
                  std::nullopt});
  EXPECT_EQ(crypto::sha256_hex(signed_request.canonical_request),
            "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
  EXPECT_EQ(signed_request.signed_headers, "content-type;host;x-sdk-date");
  EXPECT_EQ(
      signed_request.authorization,
      "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;"
      "x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
}

// ---------------------------------------------------------------------------------------------
// sign()

TEST(AkSkSigner, SendsHeadersInDocumentedOrder) {
  Credentials temporary = credentials();
  temporary.security_token = Secret("token-value");
  const std::vector<Header> headers = {{"Content-Type", " application/json\t"}, {"X-Custom", "1"}};
  auto signed_request =
      sign_ok(RequestToSign{"POST", kUrl, headers, kBody, kSdkDate, "p1"}, temporary);
  const std::vector<Header> expected = {
      {"Host", "apig.cn-north-4.myhuaweicloud.com"},
      {"X-Sdk-Date", "20250115T083000Z"},
      {"X-Project-Id", "p1"},
      {"X-Security-Token", "token-value"},
      {"Content-Type", "application/json"},
      {"X-Custom", "1"},
      {"Authorization", signed_request.authorization},
  };
  EXPECT_EQ(signed_request.headers, expected);
  EXPECT_EQ(signed_request.signed_headers,
            "content-type;host;x-custom;x-project-id;x-sdk-date;x-security-token");
}

TEST(AkSkSigner, LeavesOutProjectIdWhenEmpty) {
  auto signed_request = sign_ok(RequestToSign{"GET", kUrl, {}, "", kSdkDate, ""});
  EXPECT_EQ(signed_request.signed_headers, "host;x-sdk-date");
  EXPECT_EQ(signed_request.headers.size(), 3U);
}

TEST(AkSkSigner, SendsButDoesNotSignHeadersWithUnderscores) {
  const std::vector<Header> headers = {{"TEST_UNDERSCORE", "x"}};
  auto signed_request = sign_ok(RequestToSign{"GET", kUrl, headers, "", kSdkDate, ""});
  EXPECT_EQ(signed_request.signed_headers, "host;x-sdk-date");
  EXPECT_EQ(signed_request.headers.at(2), (Header{"TEST_UNDERSCORE", "x"}));
}

TEST(AkSkSigner, UpperCasesTheMethod) {
  auto signed_request = sign_ok(RequestToSign{"get", kUrl, {}, "", kSdkDate, ""});
  EXPECT_EQ(signed_request.canonical_request.substr(0, 4), "GET\n");
}

TEST(AkSkSigner, UsesContentSha256HeaderInsteadOfBodyHash) {
  const std::vector<Header> headers = {{"X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD"}};
  auto signed_request = sign_ok(RequestToSign{"PUT", kUrl, headers, kBody, kSdkDate, ""});
  EXPECT_TRUE(signed_request.canonical_request.ends_with(
      "\nhost;x-sdk-content-sha256;x-sdk-date\nUNSIGNED-PAYLOAD"));
}

struct HostCase {
  std::string_view url;
  std::string_view host;
};

TEST(AkSkSigner, IncludesThePortInHostOnlyWhenNotDefault) {
  for (const HostCase& test : {
           HostCase{"https://example.com:443/x", "example.com"},
           HostCase{"http://example.com:80/x", "example.com"},
           HostCase{"http://example.com:443/x", "example.com:443"},
           HostCase{"https://example.com:8443", "example.com:8443"},
           HostCase{"HTTPS://Example.COM/x", "example.com"},
           HostCase{"https://[::1]:8443/x", "[::1]:8443"},
           HostCase{"https://127.0.0.1?a=1", "127.0.0.1"},
       }) {
    auto signed_request = sign_ok(RequestToSign{"GET", test.url, {}, "", kSdkDate, ""});
    ASSERT_FALSE(signed_request.headers.empty()) << test.url;
    EXPECT_EQ(signed_request.headers.front(), (Header{"Host", std::string(test.host)})) << test.url;
  }
}

TEST(AkSkSigner, RejectsUnusableUrls) {
  for (const std::string_view url : {
           "apig.example.com/v2",
           "ftp://apig.example.com/v2",
           "https:///v2",
           "https://user:password@apig.example.com/v2",
           "https://apig.example.com/v2#top",
           "https://apig.example.com:0/v2",
           "https://apig.example.com:65536/v2",
           "https://apig.example.com:/v2",
           "https://apig.example.com:84x3/v2",
           "https://apig example.com/v2",
           "https://[::1/v2",
           "https://apig.example.com/a b",
           "https://apig.example.com/caf\xC3\xA9",
           "https://apig.example.com/v2?a=%zz",
           "https://apig.example.com/%2",
           "https://apig.example.com/v2?a=\"x\"",
       }) {
    auto signed_request = sign(RequestToSign{"GET", url, {}, "", kSdkDate, ""}, credentials());
    ASSERT_FALSE(signed_request.has_value()) << url;
    EXPECT_EQ(signed_request.error().code(), ErrorCode::InvalidArgument) << url;
  }
}

TEST(AkSkSigner, RejectsReservedDuplicateAndMalformedHeaders) {
  const std::vector<std::vector<Header>> cases = {
      {{"Host", "evil.example.com"}},
      {{"x-sdk-date", "20250115T083000Z"}},
      {{"Authorization", "x"}},
      {{"X-Security-Token", "x"}},
      {{"X-Project-Id", "x"}},
      {{"Content-Type", "a"}, {"content-type", "b"}},
      {{"X-Injected", "a\r\nHost: evil"}},
      {{"X-Nul", std::string("a\0b", 3)}},
      {{"Bad Name", "x"}},
      {{"", "x"}},
  };
  for (const std::vector<Header>& headers : cases) {
    auto signed_request =
        sign(RequestToSign{"GET", kUrl, headers, "", kSdkDate, ""}, credentials());
    ASSERT_FALSE(signed_request.has_value()) << headers.front().name;
    EXPECT_EQ(signed_request.error().code(), ErrorCode::InvalidArgument);
  }
}

void expect_sign_rejected(const RequestToSign& request, const Credentials& with,
                          std::string_view why) {
  auto signed_request = sign(request, with);
  ASSERT_FALSE(signed_request.has_value()) << why;
  EXPECT_EQ(signed_request.error().code(), ErrorCode::InvalidArgument) << why;
}

TEST(AkSkSigner, RejectsUnusableCredentials) {
  expect_sign_rejected(default_request(), credentials(""), "empty SK");
  expect_sign_rejected(default_request(), Credentials{"", Secret("sk"), std::nullopt}, "empty AK");
  expect_sign_rejected(default_request(), Credentials{"A K", Secret("sk"), std::nullopt},
                       "AK with a space");
  Credentials bad_token = credentials();
  bad_token.security_token = Secret("a\nb");
  expect_sign_rejected(default_request(), bad_token, "token with a newline");
}

TEST(AkSkSigner, RejectsUnusableMethodAndDate) {
  RequestToSign request = default_request();
  request.method = "";
  expect_sign_rejected(request, credentials(), "empty method");
  request.method = "GET /";
  expect_sign_rejected(request, credentials(), "method with a space");
  for (const std::string_view date :
       {"", "2025-01-15T08:30:00Z", "20250115T083000z", "20250230T000000Z", "20250115T240000Z"}) {
    request = default_request();
    request.sdk_date = date;
    expect_sign_rejected(request, credentials(), date);
  }
}

// ---------------------------------------------------------------------------------------------
// format_sdk_date() and parse_sdk_date()

TEST(SdkDate, FormatsUtcTruncatedToTheSecond) {
  using namespace std::chrono;  // NOLINT(google-build-using-namespace): calendar literals.
  const SystemTime time =
      sys_days{2025y / January / 15} + hours(8) + minutes(30) + milliseconds(999);
  EXPECT_EQ(format_sdk_date(time), "20250115T083000Z");
  EXPECT_EQ(format_sdk_date(SystemTime{}), "19700101T000000Z");
  EXPECT_EQ(
      format_sdk_date(sys_days{2024y / February / 29} + hours(23) + minutes(59) + seconds(59)),
      "20240229T235959Z");
}

TEST(SdkDate, ParsesWhatItFormats) {
  for (const std::string_view text :
       {"20250115T083000Z", "20240229T235959Z", "19700101T000000Z", "20251231T235959Z"}) {
    auto time = parse_sdk_date(text);
    ASSERT_TRUE(time.has_value()) << text;
    EXPECT_EQ(format_sdk_date(*time), text);
  }
}

TEST(SdkDate, RejectsOtherShapesAndImpossibleDates) {
  for (const std::string_view text : {"", "20250115T083000", "20250115 083000Z", "2025011ST083000Z",
                                      "20250115T083000ZZ", "20251315T083000Z", "20250100T083000Z",
                                      "20250229T083000Z", "20250115T086000Z", "20250115T083060Z"}) {
    auto time = parse_sdk_date(text);
    ASSERT_FALSE(time.has_value()) << text;
    EXPECT_EQ(time.error().code(), ErrorCode::ParseError);
  }
}

// ---------------------------------------------------------------------------------------------
// verify()

TEST(AkSkVerify, AcceptsWhatTheSignerProduced) {
  const Received received = received_for(sign_ok(default_request()));
  auto verified = verify(received.view(), lookup, sdk_time());
  EXPECT_TRUE(verified.has_value()) << verified.error().to_string();
}

TEST(AkSkVerify, AcceptsTemporaryCredentials) {
  Credentials temporary = credentials();
  temporary.security_token = Secret("token-value");
  const Received received = received_for(sign_ok(default_request(), temporary));
  EXPECT_TRUE(verify(received.view(), lookup, sdk_time()).has_value());
}

TEST(AkSkVerify, MatchesHeaderNamesCaseInsensitivelyAndIgnoresUnsignedHeaders) {
  Received received = received_for(sign_ok(default_request()));
  for (Header& header : received.headers) {
    for (char& character : header.name) {
      character = static_cast<char>(std::toupper(static_cast<unsigned char>(character)));
    }
  }
  received.headers.push_back(Header{"User-Agent", "curl/7.88"});
  received.headers.push_back(Header{"Accept", "*/*"});
  auto verified = verify(received.view(), lookup, sdk_time());
  EXPECT_TRUE(verified.has_value()) << verified.error().to_string();
}

TEST(AkSkVerify, AcceptsATrailingSlashAndOtherEscapingOfThePath) {
  Received received = received_for(sign_ok(default_request()));
  received.path += '/';
  received.query = "a=%31&b=2";
  auto verified = verify(received.view(), lookup, sdk_time());
  EXPECT_TRUE(verified.has_value()) << verified.error().to_string();
}

void expect_rejected(const Received& received, ErrorCode code, std::string_view why) {
  auto verified = verify(received.view(), lookup, sdk_time());
  ASSERT_FALSE(verified.has_value()) << why;
  EXPECT_EQ(verified.error().code(), code) << why << ": " << verified.error().to_string();
}

TEST(AkSkVerify, RejectsATamperedRequest) {
  const Received original = received_for(sign_ok(default_request()));

  Received received = original;
  received.body += ' ';
  expect_rejected(received, ErrorCode::PermissionDenied, "body");

  received = original;
  received.path = "/v2/p1/apigw/instances/i1/api-groups/g1/domains/d2/certificate";
  expect_rejected(received, ErrorCode::PermissionDenied, "path");

  received = original;
  received.query = "a=1&b=3";
  expect_rejected(received, ErrorCode::PermissionDenied, "query");

  received = original;
  received.method = "PUT";
  expect_rejected(received, ErrorCode::PermissionDenied, "method");

  received = original;
  find(received.headers, "Content-Type")->value = "text/plain";
  expect_rejected(received, ErrorCode::PermissionDenied, "content-type");

  received = original;
  find(received.headers, "Host")->value = "apig.example.com";
  expect_rejected(received, ErrorCode::PermissionDenied, "host");

  received = original;
  find(received.headers, "X-Project-Id")->value = "p2";
  expect_rejected(received, ErrorCode::PermissionDenied, "project id");

  received = original;
  std::string& authorization = find(received.headers, "Authorization")->value;
  authorization.back() = authorization.back() == '0' ? '1' : '0';
  expect_rejected(received, ErrorCode::PermissionDenied, "signature");
}

TEST(AkSkVerify, RejectsAWrongSecretKey) {
  const Received received = received_for(sign_ok(default_request(), credentials("other-sk")));
  expect_rejected(received, ErrorCode::PermissionDenied, "wrong SK");
}

TEST(AkSkVerify, RejectsAnUnknownAccessKey) {
  const Received received = received_for(sign_ok(
      default_request(), Credentials{"UNKNOWNAK", Secret(std::string(kSecretKey)), std::nullopt}));
  auto verified = verify(received.view(), lookup, sdk_time());
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().code(), ErrorCode::NotFound);
  EXPECT_NE(verified.error().to_string().find("UNKNOWNAK"), std::string::npos);
}

TEST(AkSkVerify, RejectsAMissingAuthorization) {
  Received received = received_for(sign_ok(default_request()));
  received.headers.pop_back();
  expect_rejected(received, ErrorCode::InvalidArgument, "no Authorization");
}

TEST(AkSkVerify, RejectsMalformedAuthorization) {
  const Received original = received_for(sign_ok(default_request()));
  const std::string signature =
      original.headers.back().value.substr(original.headers.back().value.find("Signature=") + 10);
  const std::string good_headers = "content-type;host;x-project-id;x-sdk-date";
  const std::vector<std::string> values = {
      "",
      "Bearer token",
      "SDK-HMAC-SHA256",
      "SDK-HMAC-SHA512 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=" + good_headers +
          ", Signature=" + signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=" + good_headers,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, Access=X, SignedHeaders=" + good_headers +
          ", Signature=" + signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=" + good_headers +
          ", Signature=" + signature + ", Extra=1",
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID SignedHeaders=" + good_headers +
          " Signature=" + signature,
      "SDK-HMAC-SHA256 Access=, SignedHeaders=" + good_headers + ", Signature=" + signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=" + good_headers +
          ", Signature=" + signature.substr(1),
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=" + good_headers +
          ", Signature=" + std::string(64, 'A'),
      // SignedHeaders unsorted, repeated, upper case, empty, without x-sdk-date, naming an
      // absent header, naming authorization.
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=host;content-type;"
      "x-project-id;x-sdk-date, Signature=" +
          signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=host;host;x-sdk-date, "
      "Signature=" +
          signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=Host;x-sdk-date, Signature=" +
          signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=, Signature=" + signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=host;;x-sdk-date, Signature=" +
          signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=content-type;host, Signature=" +
          signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=host;x-absent;x-sdk-date, "
      "Signature=" +
          signature,
      "SDK-HMAC-SHA256 Access=HPUAZ8TQ0EXAMPLEAKID, SignedHeaders=authorization;host;"
      "x-sdk-date, Signature=" +
          signature,
  };
  for (const std::string& value : values) {
    Received received = original;
    received.headers.back().value = value;
    expect_rejected(received, ErrorCode::ParseError, value);
  }
}

TEST(AkSkVerify, RejectsRepeatedOrMalformedSignedValues) {
  const Received original = received_for(sign_ok(default_request()));

  Received received = original;
  received.headers.push_back(Header{"host", "apig.cn-north-4.myhuaweicloud.com"});
  expect_rejected(received, ErrorCode::ParseError, "repeated host");

  received = original;
  received.headers.push_back(received.headers.back());
  expect_rejected(received, ErrorCode::ParseError, "two Authorization headers");

  received = original;
  find(received.headers, "X-Sdk-Date")->value = "2025-01-15T08:30:00Z";
  expect_rejected(received, ErrorCode::ParseError, "malformed date");

  received = original;
  received.path = "/v2/%zz";
  expect_rejected(received, ErrorCode::ParseError, "malformed path escape");
}

void expect_expired(const Received& received, SystemTime now) {
  auto verified = verify(received.view(), lookup, now);
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().code(), ErrorCode::Timeout);
  EXPECT_NE(verified.error().message().find("signature expired"), std::string::npos);
}

TEST(AkSkVerify, AllowsFifteenMinutesOfSkewEitherWay) {
  const Received received = received_for(sign_ok(default_request()));
  EXPECT_TRUE(verify(received.view(), lookup, sdk_time() + minutes(15)).has_value());
  EXPECT_TRUE(verify(received.view(), lookup, sdk_time() - minutes(15)).has_value());

  for (const SystemTime now :
       {sdk_time() + minutes(15) + seconds(1), sdk_time() - minutes(15) - seconds(1),
        sdk_time() + minutes(60), sdk_time() - std::chrono::hours(24)}) {
    expect_expired(received, now);
  }
}

TEST(AkSkVerify, ShowsTheServersCanonicalRequestOnMismatch) {
  Received received = received_for(sign_ok(default_request()));
  received.body = "{}";
  auto verified = verify(received.view(), lookup, sdk_time());
  ASSERT_FALSE(verified.has_value());
  EXPECT_NE(verified.error().message().find("HPUAZ8TQ0EXAMPLEAKID"), std::string::npos);
  EXPECT_NE(verified.error().message().find(
                "POST|/v2/p1/apigw/instances/i1/api-groups/g1/domains/d1/certificate/|a=1&b=2|"
                "content-type:application/json|"),
            std::string::npos)
      << verified.error().message();
}

// No error, from sign() or verify(), may reveal the secret key, the signature the server
// expected, or the security token.
class AkSkSecretsTest : public ::testing::Test {
 protected:
  AkSkSecretsTest() {
    temporary_.security_token = Secret(std::string(kToken));
    good_ = sign_ok(default_request(), temporary_);
    expected_signature_ = good_.authorization.substr(good_.authorization.find("Signature=") + 10);
  }

  void expect_clean(const Error& error) const {
    const std::string text = error.to_string();
    EXPECT_EQ(text.find(kSecretKey), std::string::npos) << text;
    EXPECT_EQ(text.find(kWrongSecretKey), std::string::npos) << text;
    EXPECT_EQ(text.find(expected_signature_), std::string::npos) << text;
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
  }

  void expect_clean(const Received& received, SystemTime now,
                    const SecretKeyLookup& with = lookup) const {
    auto verified = verify(received.view(), with, now);
    ASSERT_FALSE(verified.has_value());
    expect_clean(verified.error());
  }

  void expect_clean(const RequestToSign& request) const {
    auto signed_request = sign(request, temporary_);
    ASSERT_FALSE(signed_request.has_value());
    expect_clean(signed_request.error());
  }

  static constexpr std::string_view kToken = "SECRET-TOKEN-VALUE";
  static constexpr std::string_view kWrongSecretKey = "wrong-secret-key";

  [[nodiscard]] const SignedRequest& good() const { return good_; }

 private:
  Credentials temporary_ = credentials();
  SignedRequest good_;
  std::string expected_signature_;
};

TEST_F(AkSkSecretsTest, VerifyErrorsContainNoSecrets) {
  // A wrong SK, so the signature the server expects is the good one.
  Credentials wrong = credentials(kWrongSecretKey);
  wrong.security_token = Secret(std::string(kToken));
  expect_clean(received_for(sign_ok(default_request(), wrong)), sdk_time());

  Received tampered = received_for(good());
  tampered.body = "x";
  expect_clean(tampered, sdk_time());
  expect_clean(received_for(good()), sdk_time() + minutes(20));
  expect_clean(received_for(good()), sdk_time(),
               [](std::string_view) -> std::optional<Secret> { return std::nullopt; });
  Received malformed = received_for(good());
  malformed.headers.back().value += ", Extra=" + std::string(kSecretKey);
  expect_clean(malformed, sdk_time());
}

TEST_F(AkSkSecretsTest, SignErrorsContainNoSecrets) {
  const std::vector<Header> reserved = {{"X-Security-Token", std::string(kToken)}};
  RequestToSign request = default_request();
  request.headers = reserved;
  expect_clean(request);

  request = default_request();
  request.url = "https://apig.example.com/%zz";
  expect_clean(request);
}

}  // namespace
}  // namespace apig_certd::auth::aksk_signer_test
