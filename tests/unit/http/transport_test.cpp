#include "daemon/http/transport.h"

#include <gtest/gtest.h>

namespace apig_certd::http::transport_test {
namespace {

TEST(Transport, RedactUrlDropsQueryAndFragment) {
  EXPECT_EQ(redact_url("https://a.example/v2/x?token=secret"), "https://a.example/v2/x");
  EXPECT_EQ(redact_url("https://a.example/v2/x#frag"), "https://a.example/v2/x");
  EXPECT_EQ(redact_url("https://a.example/v2/x"), "https://a.example/v2/x");
}

TEST(Transport, UrlHost) {
  EXPECT_EQ(url_host("https://apig.cn-north-4.myhuaweicloud.com/v2"),
            "apig.cn-north-4.myhuaweicloud.com");
  EXPECT_EQ(url_host("http://127.0.0.1:8080/x"), "127.0.0.1");
  EXPECT_EQ(url_host("http://[::1]:8080/x"), "::1");
  EXPECT_EQ(url_host("https://user:pw@host.example:443"), "host.example");
  EXPECT_EQ(url_host("not a url"), "");
}

TEST(Transport, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LOCALHOST"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.example"));
  EXPECT_FALSE(is_loopback_host("127.0.0"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1234"));
}

TEST(Transport, ResponseHeaderLookupIsCaseInsensitive) {
  Response response;
  response.headers = {{"X-Request-Id", "abc"}, {"x-request-id", "second"}};
  EXPECT_EQ(response.header("x-request-ID"), "abc");
  EXPECT_FALSE(response.header("Retry-After").has_value());
}

}  // namespace
}  // namespace apig_certd::http::transport_test
