// The example configs under config/ are documentation that must never rot: each one is
// loaded with the real loader, with its /etc/apig-certd secret paths pointed at files this
// test creates (mode 0600), and must give the documented defaults.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "daemon/settings/settings.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::app::shipped_configs_test {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class ShippedConfig : public ::testing::TestWithParam<const char*> {};

TEST_P(ShippedConfig, LoadsWithDocumentedDefaults) {
  const testing::TempDir temp_dir;
  for (const char* secret : {"access_key", "secret_key", "token", "password"}) {
    temp_dir.write(secret, "not-a-real-secret\n");
  }
  const std::string original = read_text(fs::path(APIG_CERTD_SOURCE_DIR) / "config" / GetParam());
  ASSERT_FALSE(original.empty()) << GetParam();
  const std::string text =
      replace_all(original, "/etc/apig-certd/", temp_dir.path().string() + "/");
  const fs::path file = temp_dir.write("config.toml", text);

  const Result<settings::Settings> loaded = settings::load_settings(file, Environment{});
  ASSERT_TRUE(loaded) << GetParam() << ":\n" << loaded.error().to_string();
  EXPECT_TRUE(loaded->warnings.empty());
  EXPECT_EQ(loaded->daemon.state_dir, "/var/lib/apig-certd");
  EXPECT_EQ(loaded->daemon.rescan_interval, std::chrono::hours(1));
  EXPECT_EQ(loaded->daemon.debounce, std::chrono::seconds(2));
  EXPECT_EQ(loaded->daemon.renew_warning, std::chrono::hours(21 * 24));
  EXPECT_EQ(loaded->daemon.concurrency, 8);
  EXPECT_EQ(loaded->daemon.drift, settings::DriftPolicy::Repair);
  EXPECT_EQ(loaded->apig.endpoint, "https://apig.cn-north-4.myhuaweicloud.com");
  EXPECT_EQ(loaded->apig.timeout, std::chrono::seconds(30));
  EXPECT_EQ(loaded->poll.interval, std::chrono::seconds(5));
  EXPECT_EQ(loaded->poll.timeout, std::chrono::minutes(10));
  EXPECT_EQ(loaded->retry.initial, std::chrono::seconds(5));
  EXPECT_EQ(loaded->retry.max, std::chrono::hours(1));
  ASSERT_EQ(loaded->bindings.size(), 1U);
  const settings::BindingSettings& binding = loaded->bindings[0];
  EXPECT_EQ(binding.cert, "/etc/letsencrypt/live/example.com/fullchain.pem");
  EXPECT_EQ(binding.key, "/etc/letsencrypt/live/example.com/privkey.pem");
  EXPECT_EQ(binding.strategy, settings::Strategy::Replace);
  EXPECT_EQ(binding.targets.size(), 2U);
}

INSTANTIATE_TEST_SUITE_P(Examples, ShippedConfig,
                         ::testing::Values("apig-certd.toml", "apig-certd-token.toml",
                                           "apig-certd-password.toml"));

TEST(ShippedConfig, PasswordExampleDerivesTheIamEndpoint) {
  const testing::TempDir temp_dir;
  temp_dir.write("password", "x");
  const std::string text =
      replace_all(read_text(fs::path(APIG_CERTD_SOURCE_DIR) / "config/apig-certd-password.toml"),
                  "/etc/apig-certd/", temp_dir.path().string() + "/");
  const Result<settings::Settings> loaded =
      settings::load_settings(temp_dir.write("config.toml", text), Environment{});
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->auth.method, settings::AuthMethod::Password);
  EXPECT_EQ(loaded->auth.iam_endpoint, "https://iam.cn-north-4.myhuaweicloud.com");
}

}  // namespace
}  // namespace apig_certd::app::shipped_configs_test
