#include "daemon/core/url.h"

#include <gtest/gtest.h>

namespace apig_certd::url_test {
namespace {

TEST(Url, ParseUrl) {
  const Result<Url> url = parse_url("HTTPS://APIG.Example.com:8443/v2?x=1");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "apig.example.com");
  EXPECT_EQ(url->port, "8443");
  EXPECT_EQ(url->path, "/v2?x=1");
  const Result<Url> v6 = parse_url("http://[::1]:80");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
}

TEST(Url, ParseUrlRefusesWhatIsNotAnAbsoluteUrl) {
  for (const std::string_view bad :
       {"apig.example.com", "https://", "https://:80", "https://h:0", "https://h:99999",
        "https://h:x", "https://[::1", "https://u:p@h", "https://h/#f"}) {
    const Result<Url> result = parse_url(bad);
    EXPECT_FALSE(result.has_value()) << bad;
  }
  EXPECT_EQ(parse_url("https://u:hunter2@h").error().message().find("hunter2"), std::string::npos);
}

TEST(Url, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("localhost.example"));
  EXPECT_FALSE(is_loopback_host("127.0.0"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1234"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("LOCALHOST"));
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.255.0.9"));
  EXPECT_TRUE(is_loopback_host("::1"));
  EXPECT_FALSE(is_loopback_host("128.0.0.1"));
  EXPECT_FALSE(is_loopback_host("::2"));
  EXPECT_FALSE(is_loopback_host("localhost.example.com"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.example.com"));
}

}  // namespace
}  // namespace apig_certd::url_test
