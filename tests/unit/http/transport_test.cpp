#include "daemon/http/transport.h"

#include <gtest/gtest.h>

namespace apig_certd::http::transport_test {
namespace {

TEST(Transport, RedactUrlDropsQueryAndFragment) {
  EXPECT_EQ(redact_url("https://a.example/v2/x?token=secret"), "https://a.example/v2/x");
  EXPECT_EQ(redact_url("https://a.example/v2/x#frag"), "https://a.example/v2/x");
  EXPECT_EQ(redact_url("https://a.example/v2/x"), "https://a.example/v2/x");
}

TEST(Transport, ResponseHeaderLookupIsCaseInsensitive) {
  Response response;
  response.headers = {{"X-Request-Id", "abc"}, {"x-request-id", "second"}};
  EXPECT_EQ(response.header("x-request-ID"), "abc");
  EXPECT_FALSE(response.header("Retry-After").has_value());
}

}  // namespace
}  // namespace apig_certd::http::transport_test
