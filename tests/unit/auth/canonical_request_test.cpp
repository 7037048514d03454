#include "daemon/auth/canonical_request.h"

#include <string>

#include <gtest/gtest.h>

namespace apig_certd::auth::canonical_request_test {
namespace {

std::string canonical_uri_of(std::string_view raw_path) {
  auto uri = canonical_uri(raw_path);
  EXPECT_TRUE(uri.has_value()) << uri.error().to_string();
  return uri.value_or("<error>");
}

std::string canonical_query_of(std::string_view raw_query) {
  auto query = canonical_query_string(raw_query);
  EXPECT_TRUE(query.has_value()) << query.error().to_string();
  return query.value_or("<error>");
}

TEST(UriEncode, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(uri_encode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(uri_encode(" +*/'()!"), "%20%2B%2A%2F%27%28%29%21");
}

TEST(UriEncode, MatchesTheGoSdkTestCases) {
  // REFERENCE.md §7 step 3, from the Go SDK's signer_test.go.
  EXPECT_EQ(uri_encode("一 (&=?!#%.*)"), "%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29");
  EXPECT_EQ(uri_encode("/tmp/123"), "%2Ftmp%2F123");
}

TEST(UriEncode, EncodesEveryByteOfMultiByteUtf8WithUpperCaseHex) {
  EXPECT_EQ(uri_encode("café 😀"), "caf%C3%A9%20%F0%9F%98%80");
}

TEST(PercentDecode, DecodesEitherHexCaseAndKeepsPlus) {
  EXPECT_EQ(percent_decode("a%2fb%2Fc").value(), "a/b/c");
  EXPECT_EQ(percent_decode("a+b").value(), "a+b");
  EXPECT_EQ(percent_decode("%E4%b8%80").value(), "一");
}

TEST(PercentDecode, RejectsMalformedEscapes) {
  for (const std::string_view text : {"%", "%4", "a%zz", "%g0", "abc%"}) {
    auto decoded = percent_decode(text);
    ASSERT_FALSE(decoded.has_value()) << text;
    EXPECT_EQ(decoded.error().code(), ErrorCode::ParseError);
  }
}

TEST(CanonicalUri, AppendsTrailingSlashOnlyWhenMissing) {
  EXPECT_EQ(canonical_uri_of(""), "/");
  EXPECT_EQ(canonical_uri_of("/"), "/");
  EXPECT_EQ(canonical_uri_of("/v2/a/b"), "/v2/a/b/");
  EXPECT_EQ(canonical_uri_of("/v2/a/b/"), "/v2/a/b/");
}

TEST(CanonicalUri, NormalisesEscapesPerSegment) {
  EXPECT_EQ(canonical_uri_of("/a%20b/c*d"), "/a%20b/c%2Ad/");
  EXPECT_EQ(canonical_uri_of("/a%7eb"), "/a~b/");
  // An encoded slash stays inside its segment.
  EXPECT_EQ(canonical_uri_of("/a%2Fb/c"), "/a%2Fb/c/");
}

TEST(CanonicalUri, RejectsMalformedEscapes) {
  auto uri = canonical_uri("/a/%zz");
  ASSERT_FALSE(uri.has_value());
  EXPECT_EQ(uri.error().code(), ErrorCode::ParseError);
}

TEST(CanonicalQueryString, SortsByKey) {
  EXPECT_EQ(canonical_query_of("offset=0&limit=10&name=demo"), "limit=10&name=demo&offset=0");
}

TEST(CanonicalQueryString, SortsRepeatedKeysByEncodedValue) {
  EXPECT_EQ(canonical_query_of("a=2&a=10&a=1&b=0"), "a=1&a=10&a=2&b=0");
}

TEST(CanonicalQueryString, WritesEmptyAndMissingValuesAsKeyEquals) {
  EXPECT_EQ(canonical_query_of("b&a="), "a=&b=");
  EXPECT_EQ(canonical_query_of("a=x&a"), "a=&a=x");
}

TEST(CanonicalQueryString, SkipsEmptyPiecesAndHandlesEmptyQuery) {
  EXPECT_EQ(canonical_query_of(""), "");
  EXPECT_EQ(canonical_query_of("&&a=1&"), "a=1");
}

TEST(CanonicalQueryString, ReencodesKeysAndValues) {
  EXPECT_EQ(canonical_query_of("q=a=b&plus=a+b&sp=a%20b&star=*"),
            "plus=a%2Bb&q=a%3Db&sp=a%20b&star=%2A");
}

TEST(CanonicalQueryString, RejectsMalformedEscapes) {
  auto query = canonical_query_string("a=%2");
  ASSERT_FALSE(query.has_value());
  EXPECT_EQ(query.error().code(), ErrorCode::ParseError);
}

}  // namespace
}  // namespace apig_certd::auth::canonical_request_test
