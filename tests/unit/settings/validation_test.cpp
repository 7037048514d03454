// The pure value checks behind the loader's messages.

#include "daemon/settings/validation.h"

#include <array>

#include <gtest/gtest.h>

namespace apig_certd::settings::validation_test {
namespace {

TEST(SettingsValidation, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("concurency", "concurrency"), 1U);
  EXPECT_EQ(edit_distance("gruop_id", "group_id"), 2U);
  EXPECT_EQ(edit_distance("abc", ""), 3U);
}

TEST(SettingsValidation, ClosestMatchPrefersCaseInsensitiveThenNearest) {
  constexpr std::array<std::string_view, 3> kKeys{"log_level", "drift", "debounce"};
  EXPECT_EQ(closest_match("LOG_LEVEL", kKeys), "log_level");
  EXPECT_EQ(closest_match("drfit", kKeys), "drift");
  EXPECT_EQ(closest_match("debounse", kKeys), "debounce");
  EXPECT_FALSE(closest_match("something", kKeys).has_value());
}

TEST(SettingsValidation, SecretLikeKeys) {
  EXPECT_TRUE(is_secret_like_key("secret_key"));
  EXPECT_TRUE(is_secret_like_key("Password"));
  EXPECT_TRUE(is_secret_like_key("api_token"));
  EXPECT_FALSE(is_secret_like_key("domain"));
}

TEST(SettingsValidation, Names) {
  EXPECT_TRUE(is_valid_binding_name("example.com_2-a"));
  EXPECT_FALSE(is_valid_binding_name(""));
  EXPECT_FALSE(is_valid_binding_name("my site"));
  EXPECT_FALSE(is_valid_binding_name(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_id("f0fa1789-3b76-433b-a787-9892951c620e"));
  EXPECT_FALSE(is_valid_id("a/b"));
  EXPECT_TRUE(is_valid_cert_name("example_com"));
  EXPECT_FALSE(is_valid_cert_name("1example"));
  EXPECT_FALSE(is_valid_cert_name("ex-ample"));
  EXPECT_TRUE(is_valid_region("cn-north-4"));
  EXPECT_FALSE(is_valid_region("CN-North-4"));
}

TEST(SettingsValidation, DomainsAreLoweredAndChecked) {
  EXPECT_EQ(*normalize_domain("WWW.Example.COM"), "www.example.com");
  EXPECT_EQ(*normalize_domain("*.example.com"), "*.example.com");
  EXPECT_EQ(*normalize_domain("xn--bcher-kva.example"), "xn--bcher-kva.example");
}

TEST(SettingsValidation, BadDomainsAreRefused) {
  for (const std::string_view bad :
       {"", "localhost", "www..example.com", ".example.com", "example.com.", "-a.example.com",
        "a-.example.com", "*.*.example.com", "w*w.example.com", "www.*.example.com",
        "my_host.example.com", "bücher.example", "*."}) {
    EXPECT_FALSE(normalize_domain(bad).has_value()) << bad;
  }
  EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".com").has_value());
}

TEST(SettingsValidation, HostPort) {
  const Result<HostPort> v4 = parse_host_port("203.0.113.7:8443", 443);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "203.0.113.7");
  EXPECT_EQ(v4->port, 8443);
  const Result<HostPort> v6 = parse_host_port("[2001:db8::1]:444", 443);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 444);
  const Result<HostPort> name = parse_host_port("LB.Example.com:8443", 443);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(name->host, "lb.example.com");
  EXPECT_TRUE(parse_host_port("localhost:1", 443).has_value());
}

TEST(SettingsValidation, HostWithoutPortTakesTheDefault) {
  const Result<HostPort> v4 = parse_host_port("203.0.113.7", 443);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->port, 443);
  const Result<HostPort> v6 = parse_host_port("[2001:db8::1]", 443);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 443);
}

TEST(SettingsValidation, HostPortRejectsMalformedAddresses) {
  for (const char* text : {":443", "h.example.com:443/x", "203.0.113.7:0", "203.0.113.7:65536",
                           "203.0.113.7:", "2001:db8::1", "*.example.com:443", "a b.example:443",
                           "user@lb.example.com:443"}) {
    const Result<HostPort> parsed = parse_host_port(text, 443);
    EXPECT_FALSE(parsed.has_value()) << text;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code(), ErrorCode::InvalidArgument) << text;
    }
  }
  EXPECT_NE(parse_host_port("2001:db8::1", 443).error().message().find("brackets"),
            std::string::npos);
}

}  // namespace
}  // namespace apig_certd::settings::validation_test
