// The official vectors: tests/data/signing-vectors.json was produced by Huawei's Node.js SDK
// (@huaweicloud/huaweicloud-sdk-core 3.1.211). For every vector, sign() must reproduce the
// canonical request, string to sign, SignedHeaders and Authorization byte for byte, and send
// the same headers, except these, which the SDK sends and we deliberately do not:
//   Accept: application/json    added by the SDK and not signed; curl's default is enough.
//   User-Agent: huaweicloud-... the SDK's own name; not signed; the transport sets ours.
//   Content-Type                only where the vector's input has none: the SDK then adds
//                               "application/json" after signing, unsigned. We send only what
//                               the caller gives (a GET has no body to describe).
// verify() must also accept the request exactly as the SDK put it on the wire.

#include <cstddef>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/auth/aksk_signer.h"

namespace apig_certd::auth::signing_vectors_test {
namespace {

using Json = nlohmann::ordered_json;

struct Vector {
  std::string name;
  Json input;
  Json expected;
  Json wire;
};

// gtest prints the parameter of a failing test; the name is what a reader needs.
// NOLINTNEXTLINE(readability-identifier-naming): gtest looks up this exact name.
void PrintTo(const Vector& vector, std::ostream* stream) {
  *stream << vector.name;
}

std::vector<Vector> load_vectors() {
  std::ifstream file(APIG_CERTD_TEST_DATA_DIR "/signing-vectors.json");
  const Json document = Json::parse(file);
  std::vector<Vector> vectors;
  for (const Json& vector : document.at("vectors")) {
    vectors.push_back(Vector{vector.at("name").get<std::string>(), vector.at("input"),
                             vector.at("expected"), vector.at("sdk_wire")});
  }
  return vectors;
}

std::string lower(std::string text) {
  for (char& character : text) {
    if (character >= 'A' && character <= 'Z') {
      character = static_cast<char>(character - 'A' + 'a');
    }
  }
  return text;
}

std::string string_or_empty(const Json& object, const char* key) {
  return object.contains(key) ? object.at(key).get<std::string>() : std::string();
}

// Splits "scheme://authority/path?query" into path and query.
void split_url(const std::string& url, std::string& path, std::string& query) {
  const std::size_t authority = url.find("://") + 3;
  const std::size_t target = std::min(url.find_first_of("/?", authority), url.size());
  const std::size_t question = url.find('?', target);
  path = url.substr(target, question - target);
  query = question == std::string::npos ? std::string() : url.substr(question + 1);
}

class SigningVectorTest : public ::testing::TestWithParam<Vector> {};

// The vector's input, owned, so that a RequestToSign can point into it.
struct Input {
  explicit Input(const Json& input)
      : method(input.at("method").get<std::string>()),
        url(input.at("url").get<std::string>()),
        body(string_or_empty(input, "body")),
        sdk_date(input.at("sdk_date").get<std::string>()),
        project_id(string_or_empty(input, "project_id")),
        credentials{input.at("ak").get<std::string>(), Secret(input.at("sk").get<std::string>()),
                    std::nullopt} {
    if (input.contains("headers")) {
      for (const auto& [name, value] : input.at("headers").items()) {
        headers.push_back(Header{name, value.get<std::string>()});
      }
    }
    if (input.contains("security_token")) {
      credentials.security_token = Secret(input.at("security_token").get<std::string>());
    }
  }

  [[nodiscard]] RequestToSign request() const {
    return RequestToSign{method, url, headers, body, sdk_date, project_id};
  }

  std::string method;
  std::string url;
  std::vector<Header> headers;
  std::string body;
  std::string sdk_date;
  std::string project_id;
  Credentials credentials;
};

// Header name (lower case) -> value. Fails the test if a name occurs twice.
std::map<std::string, std::string> by_lower_name(const std::vector<Header>& headers) {
  std::map<std::string, std::string> map;
  for (const Header& header : headers) {
    EXPECT_TRUE(map.emplace(lower(header.name), header.value).second)
        << "sent twice: " << header.name;
  }
  return map;
}

// The SDK's headers minus those we deliberately do not send (see the top of this file).
std::map<std::string, std::string> expected_headers(const Vector& vector) {
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : vector.expected.at("headers").items()) {
    headers[lower(name)] = value.get<std::string>();
  }
  headers.erase("accept");
  headers.erase("user-agent");
  const Json& input = vector.input;
  if (!input.contains("headers") || !input.at("headers").contains("Content-Type")) {
    headers.erase("content-type");
  }
  return headers;
}

TEST_P(SigningVectorTest, ReproducesTheSdkByteForByte) {
  const Vector& vector = GetParam();
  const Input input(vector.input);
  auto signed_request = sign(input.request(), input.credentials);
  ASSERT_TRUE(signed_request.has_value()) << signed_request.error().to_string();

  const Json& expected = vector.expected;
  EXPECT_EQ(signed_request->canonical_request, expected.at("canonical_request"));
  EXPECT_EQ(signed_request->string_to_sign, expected.at("string_to_sign"));
  EXPECT_EQ(signed_request->signed_headers, expected.at("signed_headers"));
  EXPECT_EQ(signed_request->authorization, expected.at("authorization"));
  EXPECT_EQ(by_lower_name(signed_request->headers), expected_headers(vector));
}

TEST_P(SigningVectorTest, VerifierAcceptsTheSdkWireRequest) {
  const Vector& vector = GetParam();
  std::string path;
  std::string query;
  split_url(vector.wire.at("url").get<std::string>(), path, query);
  std::vector<Header> headers;
  for (const auto& [name, value] : vector.expected.at("headers").items()) {
    headers.push_back(Header{name, value.get<std::string>()});
  }
  const std::string method = vector.wire.at("method").get<std::string>();
  const std::string body = vector.wire.at("body").get<std::string>();
  const std::string access_key = vector.input.at("ak").get<std::string>();
  const std::string secret_key = vector.input.at("sk").get<std::string>();
  const auto lookup = [&](std::string_view key) -> std::optional<Secret> {
    if (key == access_key) {
      return Secret(secret_key);
    }
    return std::nullopt;
  };
  auto now = parse_sdk_date(vector.input.at("sdk_date").get<std::string>());
  ASSERT_TRUE(now.has_value());

  auto verified = verify(ReceivedRequest{method, path, query, headers, body}, lookup, *now);
  EXPECT_TRUE(verified.has_value()) << verified.error().to_string();
}

std::string test_name(const ::testing::TestParamInfo<Vector>& info) {
  std::string name;
  for (const char character : info.param.name) {
    const bool alphanumeric = (character >= 'a' && character <= 'z') ||
                              (character >= 'A' && character <= 'Z') ||
                              (character >= '0' && character <= '9');
    name.push_back(alphanumeric ? character : '_');
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(HuaweiNodeSdk, SigningVectorTest, ::testing::ValuesIn(load_vectors()),
                         test_name);

TEST(SigningVectors, FileHoldsTheTenVectors) {
  EXPECT_EQ(load_vectors().size(), 10U);
}

}  // namespace
}  // namespace apig_certd::auth::signing_vectors_test
