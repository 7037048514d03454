// apig-certd in Kubernetes (issue 9, part 3): everything it reads comes from volumes that
// kubelet writes with its AtomicWriter (run_fixture.h, kubelet_atomic_write): the certificate
// from cert-manager's Secret (tls.crt, tls.key), the AK/SK from another Secret (defaultMode
// 0400; 0440 once kubelet applies the pod's fsGroup), the config from a ConfigMap. Each file
// the daemon opens is a symlink through ..data into a timestamped directory that kubelet
// replaces as a whole. (The renewal of the certificate itself: RunDaemonTest.
// KubernetesSecretVolumeSwapIsBoundOnce.)

#include <csignal>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::kubernetes_test {
namespace {

using nlohmann::json;

constexpr const char* kWww = "www.example.com";
constexpr const char* kApi = "api.example.com";

class KubernetesTest : public RunTest {
 protected:
  void SetUp() override {
    RunTest::SetUp();
    start_sim(json::array({sim_group(
        "g1", json::array({sim_domain("g1", kWww, {3}), sim_domain("g1", kApi, {3})}))}));
    chain_.emplace(renewal_chain({kWww, kApi}, 60));
    kubelet_atomic_write(tls_volume(),
                         {{"tls.crt", chain_->fullchain()}, {"tls.key", chain_->key.pem()}},
                         std::filesystem::perms(0400));
  }

  std::filesystem::path tls_volume() const { return temp_dir_.path() / "volumes/tls"; }
  std::filesystem::path credentials_volume() const {
    return temp_dir_.path() / "volumes/credentials";
  }
  std::filesystem::path config_volume() const { return temp_dir_.path() / "volumes/config"; }

  // A binding "site" for the Secret volume's tls.crt and tls.key, with these domains.
  void add_secret_binding(const std::vector<std::string>& domains) {
    bindings_ = "\n[[binding]]\nname = \"site\"\ncert = \"" + (tls_volume() / "tls.crt").string() +
                "\"\nkey = \"" + (tls_volume() / "tls.key").string() + "\"\n";
    for (const std::string& domain : domains) {
      bindings_ += "  [[binding.target]]\n  instance_id = \"" + std::string(kSyncInstance) +
                   "\"\n  group_id = \"g1\"\n  domain = \"" + domain + "\"\n";
    }
  }

  // The daemon's config with the AK/SK read from the credentials Secret volume, published
  // with `mode`.
  std::filesystem::path config_with_credentials_volume(std::filesystem::perms mode) {
    kubelet_atomic_write(credentials_volume(),
                         {{"access_key", kSyncAccessKey}, {"secret_key", kSyncSecretKey}}, mode);
    std::string text = read_file(write_daemon_config());
    for (const char* name : {"access_key", "secret_key"}) {
      const std::string from = (temp_dir_.path() / name).string() + "\"";
      const std::size_t at = text.find(from);
      EXPECT_NE(at, std::string::npos) << text;
      if (at != std::string::npos) {
        text.replace(at, from.size(), (credentials_volume() / name).string() + "\"");
      }
    }
    return temp_dir_.write("config-credentials.toml", text);
  }

  std::optional<TestChain> chain_;  // in the Secret volume since SetUp
};

TEST_F(KubernetesTest, CredentialsFromASecretVolumeWithDefaultMode0400AreUsed) {
  add_secret_binding({kWww});
  start_daemon_with(config_with_credentials_volume(std::filesystem::perms(0400)));
  wait_ready();
  EXPECT_EQ(bound_fingerprint(kWww), sha256_fingerprint(chain_->leaf)) << daemon_->stderr_text();
  EXPECT_EQ(daemon_->stderr_text().find("readable"), std::string::npos) << daemon_->stderr_text();
}

TEST_F(KubernetesTest, CredentialsMadeGroupReadableByTheFsGroupAreUsedWithAWarning) {
  // With securityContext.fsGroup, kubelet chowns the files to that group and adds g+r to
  // defaultMode 0400: 0440, the only way a non-root container user can read a Secret.
  add_secret_binding({kWww});
  start_daemon_with(config_with_credentials_volume(std::filesystem::perms(0440)));
  wait_ready();
  EXPECT_EQ(bound_fingerprint(kWww), sha256_fingerprint(chain_->leaf)) << daemon_->stderr_text();
  EXPECT_NE(daemon_->stderr_text().find("is readable by its group"), std::string::npos)
      << daemon_->stderr_text();
}

TEST_F(KubernetesTest, CredentialsReadableByOthersAreRefused) {
  add_secret_binding({kWww});
  const std::filesystem::path config = config_with_credentials_volume(std::filesystem::perms(0444));
  const ProcessResult check = run_sync(config, {"--dry-run"});
  outputs_ += check.out + check.err;
  EXPECT_EQ(check.exit_code, 78) << check.out << check.err;
  EXPECT_NE(check.err.find("is readable by other users"), std::string::npos) << check.err;
}

TEST_F(KubernetesTest, ConfigFromAConfigMapVolumeIsReloadedOnSighup) {
  add_secret_binding({kWww});
  const auto publish_config = [&] {
    kubelet_atomic_write(config_volume(), {{"apig-certd.toml", read_file(write_daemon_config())}},
                         std::filesystem::perms(0644));
  };
  publish_config();
  start_daemon_with(config_volume() / "apig-certd.toml");
  wait_ready();
  EXPECT_EQ(bound_fingerprint(kWww), sha256_fingerprint(chain_->leaf)) << daemon_->stderr_text();
  EXPECT_EQ(bound_fingerprint(kApi), "");

  // The ConfigMap gains a target: kubelet swaps ..data, and the operator (or a reloader
  // sidecar) sends SIGHUP.
  add_secret_binding({kWww, kApi});
  publish_config();
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(daemon_->wait_for_stderr("configuration reloaded", milliseconds(5'000)))
      << daemon_->stderr_text();
  EXPECT_TRUE(wait_bound(kApi, sha256_fingerprint(chain_->leaf), milliseconds(5'000)))
      << daemon_->stderr_text() << describe_requests();
  EXPECT_EQ(count_requests("POST", "/domains/g1-www/"), 1) << describe_requests();
}

}  // namespace
}  // namespace apig_certd::testing::kubernetes_test
