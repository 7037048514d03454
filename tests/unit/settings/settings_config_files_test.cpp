// The config files under tests/data/configs, loaded through load_settings().
//
// Every file in bad/ starts with "# expect: LINE:COLUMN: TEXT"; the test asserts that loading
// fails and that one message line is "FILE:LINE:COLUMN: ...TEXT...". The loader reports all
// problems, so a bad file may also produce others (e.g. no credentials in this empty
// Environment); only the expected one is required. The same files are run through
// `apig-certd check` by the integration tests, so each is self-contained.
// good/ holds a minimal and a full config, checked value by value.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon/settings/settings.h"

namespace apig_certd::settings::settings_config_files_test {
namespace {

std::filesystem::path configs_directory() {
  // This file is tests/unit/settings/<name>; the data is tests/data/configs.
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "data" /
         "configs";
}

std::vector<std::filesystem::path> bad_config_files() {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(configs_directory() / "bad", error)) {
    if (entry.path().extension() == ".toml") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

class SettingsBadConfig : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(SettingsBadConfig, FailsWithTheExpectedMessageAtTheExpectedPosition) {
  const std::filesystem::path& file = GetParam();
  const std::string expect = first_line(file);
  const std::string prefix = "# expect: ";
  ASSERT_EQ(expect.rfind(prefix, 0), 0U) << file << " must start with '" << prefix << "'";
  // "LINE:COLUMN: TEXT"
  const std::string rest = expect.substr(prefix.size());
  const std::size_t second_colon = rest.find(':', rest.find(':') + 1);
  ASSERT_NE(second_colon, std::string::npos) << expect;
  const std::string position = rest.substr(0, second_colon);
  const std::string text = rest.substr(second_colon + 2);

  const Result<Settings> settings = load_settings(file, Environment());
  ASSERT_FALSE(settings.has_value()) << file << " loaded without error";
  const std::string message = settings.error().to_string();
  const std::string wanted_prefix = file.string() + ":" + position + ": ";
  bool found = false;
  std::size_t start = 0;
  while (start <= message.size() && !found) {
    const std::size_t end = std::min(message.find('\n', start), message.size());
    const std::string line = message.substr(start, end - start);
    found = line.rfind(wanted_prefix, 0) == 0 && line.find(text) != std::string::npos;
    start = end + 1;
  }
  EXPECT_TRUE(found) << "expected a line starting with '" << wanted_prefix << "' containing '"
                     << text << "', got:\n"
                     << message;
  const bool syntax = text.find("TOML syntax error") != std::string::npos;
  EXPECT_EQ(settings.error().code(), syntax ? ErrorCode::ParseError : ErrorCode::InvalidArgument);
}

std::string test_name(const ::testing::TestParamInfo<std::filesystem::path>& info) {
  return info.param.stem().string();
}

INSTANTIATE_TEST_SUITE_P(Files, SettingsBadConfig, ::testing::ValuesIn(bad_config_files()),
                         test_name);

TEST(SettingsBadConfigs, ThereAreAtLeast35) {
  EXPECT_GE(bad_config_files().size(), 35U);
}

Environment example_aksk_environment() {
  Environment environment;
  environment.set("APIG_CERTD_ACCESS_KEY", "AK-EXAMPLE");
  environment.set("APIG_CERTD_SECRET_KEY", "SK-EXAMPLE");
  return environment;
}

TEST(SettingsGoodConfig, MinimalUsesTheDocumentedDefaults) {
  const std::filesystem::path file = configs_directory() / "good" / "minimal.toml";
  const Result<Settings> loaded = load_settings(file, example_aksk_environment());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const Settings& settings = *loaded;
  EXPECT_EQ(settings.source_file, file);
  EXPECT_TRUE(settings.warnings.empty());

  EXPECT_EQ(settings.daemon.state_dir, "/var/lib/apig-certd");
  EXPECT_EQ(settings.daemon.rescan_interval, std::chrono::hours(1));
  EXPECT_EQ(settings.daemon.debounce, std::chrono::seconds(2));
  EXPECT_EQ(settings.daemon.renew_warning, std::chrono::hours(21 * 24));
  EXPECT_EQ(settings.daemon.concurrency, 8);
  EXPECT_TRUE(settings.daemon.metrics_file.empty());
  EXPECT_EQ(settings.daemon.log_level, LogLevel::Info);
  EXPECT_EQ(settings.daemon.drift, DriftPolicy::Repair);
  EXPECT_EQ(settings.daemon.jitter, Duration::zero());

  EXPECT_EQ(settings.apig.region, "cn-north-4");
  EXPECT_EQ(settings.apig.endpoint, "https://apig.cn-north-4.myhuaweicloud.com");
  EXPECT_EQ(settings.apig.project_id, "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(settings.apig.ca_file.empty());
  EXPECT_EQ(settings.apig.timeout, std::chrono::seconds(30));
  EXPECT_FALSE(settings.apig.insecure_http);

  EXPECT_EQ(settings.auth.method, AuthMethod::AkSk);
  ASSERT_TRUE(settings.auth.access_key.has_value());
  EXPECT_EQ(settings.auth.access_key->kind, SecretSource::Kind::Environment);
  EXPECT_EQ(settings.auth.access_key->variable, "APIG_CERTD_ACCESS_KEY");
  ASSERT_TRUE(settings.auth.secret_key.has_value());
  EXPECT_EQ(settings.auth.secret_key->variable, "APIG_CERTD_SECRET_KEY");
  EXPECT_FALSE(settings.auth.security_token.has_value());
  EXPECT_FALSE(settings.auth.token.has_value());

  EXPECT_EQ(settings.poll.interval, std::chrono::seconds(5));
  EXPECT_EQ(settings.poll.timeout, std::chrono::minutes(10));
  EXPECT_EQ(settings.retry.initial, std::chrono::seconds(5));
  EXPECT_EQ(settings.retry.max, std::chrono::hours(1));

  ASSERT_EQ(settings.bindings.size(), 1U);
  const BindingSettings& binding = settings.bindings[0];
  EXPECT_EQ(binding.name, "example");
  EXPECT_EQ(binding.cert, "/etc/letsencrypt/live/example.com/fullchain.pem");
  EXPECT_EQ(binding.key, "/etc/letsencrypt/live/example.com/privkey.pem");
  EXPECT_EQ(binding.cert_name, "example");
  EXPECT_EQ(binding.strategy, Strategy::Replace);
  EXPECT_TRUE(binding.cleanup);
  EXPECT_EQ(binding.keep_previous, 1);
  EXPECT_EQ(to_string(binding.location), file.string() + ":6:1");
  ASSERT_EQ(binding.targets.size(), 1U);
  EXPECT_EQ(binding.targets[0].instance_id, "eddc4d25480b4cd6b512f270a1b8b341");
  EXPECT_EQ(binding.targets[0].group_id, "c77f5e81d9cb4424bf704ef2b0ac7600");
  EXPECT_EQ(binding.targets[0].domain, "www.example.com");
  EXPECT_TRUE(binding.targets[0].domain_id.empty());
  EXPECT_FALSE(binding.targets[0].verify);
  EXPECT_EQ(to_string(binding.targets[0].location), file.string() + ":10:3");
  EXPECT_TRUE(settings.notify.empty());
}

TEST(SettingsGoodConfig, TwoBindingsMayShareADomain) {
  const std::filesystem::path file = configs_directory() / "good" / "two_bindings_one_domain.toml";
  const Result<Settings> loaded = load_settings(file, example_aksk_environment());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  ASSERT_EQ(loaded->bindings.size(), 2U);
  EXPECT_EQ(loaded->bindings[0].targets[0].domain, loaded->bindings[1].targets[0].domain);
}

TEST(SettingsGoodConfig, FullParsesEveryKey) {
  const std::filesystem::path file = configs_directory() / "good" / "full.toml";
  const std::filesystem::path directory = file.parent_path();
  Environment environment;
  environment.set("APIG_CERTD_PASSWORD", "example-password");
  const Result<Settings> loaded = load_settings(file, environment);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  const Settings& settings = *loaded;

  EXPECT_EQ(settings.daemon.state_dir, directory / "state");
  EXPECT_EQ(settings.daemon.rescan_interval, std::chrono::minutes(30));
  EXPECT_EQ(settings.daemon.debounce, std::chrono::seconds(5));
  EXPECT_EQ(settings.daemon.renew_warning, std::chrono::hours(14 * 24));
  EXPECT_EQ(settings.daemon.concurrency, 4);
  EXPECT_EQ(settings.daemon.metrics_file, "/var/lib/node_exporter/apig-certd.prom");
  EXPECT_EQ(settings.daemon.log_level, LogLevel::Debug);
  EXPECT_EQ(settings.daemon.drift, DriftPolicy::Report);
  EXPECT_EQ(settings.daemon.jitter, std::chrono::seconds(10));

  EXPECT_EQ(settings.apig.region, "eu-west-101");
  EXPECT_EQ(settings.apig.endpoint, "http://127.0.0.1:8443");
  EXPECT_EQ(settings.apig.project_id, "fedcba9876543210fedcba9876543210");
  EXPECT_EQ(settings.apig.ca_file, directory / "ca" / "simulator.pem");
  EXPECT_EQ(settings.apig.timeout, std::chrono::seconds(90));
  EXPECT_TRUE(settings.apig.insecure_http);

  EXPECT_EQ(settings.auth.method, AuthMethod::Password);
  EXPECT_EQ(settings.auth.iam_endpoint, "https://iam.example.test/v3");
  EXPECT_EQ(settings.auth.domain, "example-account");
  EXPECT_EQ(settings.auth.user, "apig-certd");
  ASSERT_TRUE(settings.auth.password.has_value());
  EXPECT_EQ(settings.auth.password->kind, SecretSource::Kind::Environment);
  EXPECT_EQ(settings.auth.password->description, "environment variable APIG_CERTD_PASSWORD");
  EXPECT_FALSE(settings.auth.access_key.has_value());

  EXPECT_EQ(settings.poll.interval, std::chrono::seconds(2));
  EXPECT_EQ(settings.poll.timeout, std::chrono::minutes(5));
  EXPECT_EQ(settings.retry.initial, std::chrono::seconds(1));
  EXPECT_EQ(settings.retry.max, std::chrono::minutes(10));

  ASSERT_EQ(settings.bindings.size(), 2U);
  const BindingSettings& first = settings.bindings[0];
  EXPECT_EQ(first.name, "example.com");
  EXPECT_EQ(first.cert_name, "example_com");
  EXPECT_EQ(first.strategy, Strategy::Update);
  EXPECT_FALSE(first.cleanup);
  EXPECT_EQ(first.keep_previous, 3);
  ASSERT_EQ(first.targets.size(), 2U);
  EXPECT_EQ(first.targets[0].domain, "www.example.com");  // Lowered.
  EXPECT_TRUE(first.targets[0].verify);
  EXPECT_EQ(first.targets[0].verify_address, "203.0.113.7:443");
  EXPECT_EQ(first.targets[0].verify_host, "203.0.113.7");
  EXPECT_EQ(first.targets[0].verify_port, 443);
  EXPECT_EQ(first.targets[1].instance_id, "f0fa1789-3b76-433b-a787-9892951c620e");
  EXPECT_TRUE(first.targets[1].domain.empty());
  EXPECT_EQ(first.targets[1].domain_id, "5a7bb5e6ec5f4d0b9c3d11b0a4ef2c2e");
  EXPECT_TRUE(first.targets[0].require_resolved);  // The default.
  EXPECT_TRUE(first.targets[0].client_ca.empty());
  EXPECT_FALSE(first.targets[1].require_resolved);
  EXPECT_EQ(first.targets[1].client_ca, directory / "ca" / "clients.pem");

  const BindingSettings& second = settings.bindings[1];
  EXPECT_EQ(second.name, "wildcard");
  EXPECT_EQ(second.cert_name, "wildcard");
  EXPECT_EQ(second.cert, directory / "certs" / "wildcard" / "fullchain.pem");
  EXPECT_EQ(second.key, directory / "certs" / "wildcard" / "privkey.pem");
  EXPECT_EQ(second.strategy, Strategy::Attach);
  ASSERT_EQ(second.targets.size(), 1U);
  EXPECT_EQ(second.targets[0].domain, "*.example.org");

  ASSERT_EQ(settings.notify.size(), 2U);
  EXPECT_EQ(settings.notify[0].url, "https://hooks.example.com/apig-certd");
  EXPECT_EQ(settings.notify[0].ca_file, directory / "ca" / "hooks.pem");
  EXPECT_EQ(settings.notify[0].on,
            (std::vector<NotifyEvent>{NotifyEvent::Failed, NotifyEvent::Expiring}));
  EXPECT_EQ(settings.notify[1].url, "http://[::1]:9000/hook");
  EXPECT_EQ(settings.notify[1].on.size(), 5U);  // Every event by default.
}

}  // namespace
}  // namespace apig_certd::settings::settings_config_files_test
