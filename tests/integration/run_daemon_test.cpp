// `apig-certd run` against apig-sim: the real binary, real inotify, real HTTPS. Each ACME
// client's exact write sequence is replayed in a temp directory while the daemon runs; each
// renewal must end with exactly one bind per target, of the new certificate with its own key,
// within debounce + 1 s. Also: the systemd notify protocol, reload, shutdown, and faults.

#include <csignal>
#include <fstream>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::run_daemon_test {
namespace {

using nlohmann::json;

constexpr const char* kDomain = "www.example.com";
constexpr milliseconds kDebounce(500);  // RunTest's debounce

// A certificate for `domains` valid for `days`, with a key of its own (as ACME clients make
// a new key per renewal by default), so a certificate paired with the previous renewal's key
// is a real mismatch.
TestChain chain_valid_for(int days, std::vector<std::string> domains = {kDomain}) {
  static const TestCa root = TestCa::create("apig-certd run test root");
  static const TestCa issuing = root.intermediate("apig-certd run test issuing CA");
  const TestKey key = make_key(KeyKind::EcP256);
  return {key,
          issuing.issue({.sans = std::move(domains),
                         .not_before_offset = std::chrono::hours(-24 * 30),
                         .not_after_offset = std::chrono::hours(24 * days)},
                        key),
          issuing.pem(), root.pem()};
}

class RunDaemonTest : public RunTest {
 protected:
  void add_certbot_binding() {
    const std::filesystem::path live = temp_dir_.path() / "letsencrypt/live/site";
    add_file_binding("site", live / "fullchain.pem", live / "privkey.pem", kDomain);
  }

  void start_with_certbot_lineage() {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    first_ = chain_valid_for(60);
    certbot_renew("site", *first_, 1);
    add_certbot_binding();
    start_daemon();
    wait_ready();
    ASSERT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(first_->leaf))
        << daemon_->stderr_text();
    ASSERT_TRUE(wait_daemon_idle()) << daemon_->stderr_text();
    clear_requests();
  }

  // After a renewal to `chain` at `changed` (just after the last write): exactly one POST, sent
  // after the debounce's quiet time and within debounce + 1 s, and nothing more once the
  // daemon is idle again.
  void expect_one_bind(const TestChain& chain, SystemTime changed,
                       const std::string& domain = kDomain) {
    const std::string fingerprint = sha256_fingerprint(chain.leaf);
    ASSERT_TRUE(wait_bound(domain, fingerprint, milliseconds(1'500)))
        << "not bound within debounce + 1 s\n"
        << daemon_->stderr_text() << describe_requests();
    ASSERT_TRUE(wait_idle_after(fingerprint)) << daemon_->stderr_text();
    EXPECT_EQ(count_requests("POST"), 1) << describe_requests() << daemon_->stderr_text();
    for (const LoggedRequest& request : requests()) {
      // The cleanup of superseded certificates may ask to delete one that this simulator's
      // second bind ("replace") already deleted:
      // 404, already gone, as intended (to its attached-domains read, or to the DELETE).
      const bool already_gone = (request.method == "DELETE" || request.method == "GET") &&
                                request.status == 404 &&
                                request.path.find("/apigw/certificates/") != std::string::npos;
      EXPECT_TRUE((request.status >= 200 && request.status < 300) || already_gone)
          << "a request was refused (a mismatched pair sent?)\n"
          << describe_requests();
    }
    if (const std::optional<SystemTime> posted = last_post_time()) {
      const auto latency = std::chrono::duration_cast<milliseconds>(*posted - changed);
      std::printf("detection latency (last change -> bind request): %lld ms\n",
                  static_cast<long long>(latency.count()));
      // The quiet time is a monotonic deadline after the last event, so noise only delays.
      EXPECT_GE(latency, kDebounce - milliseconds(50))
          << "bound before the debounce ended\n"
          << daemon_->stderr_text() << describe_requests();
      EXPECT_LT(latency, milliseconds(1'500));
    } else {
      ADD_FAILURE() << "no POST logged";
    }
  }

  std::optional<TestChain> first_;
};

TEST_F(RunDaemonTest, CertbotRenewalIsBoundOnceWithItsOwnKey) {
  start_with_certbot_lineage();
  for (int version = 2; version <= 3; ++version) {
    clear_requests();
    const TestChain renewed = chain_valid_for(60 + version);
    const SystemTime changed = certbot_renew("site", renewed, version);
    expect_one_bind(renewed, changed);
  }
}

TEST_F(RunDaemonTest, DeployHookSyncBesideTheDaemonNeverDoubleBinds) {
  start_with_certbot_lineage();
  const TestChain renewed = chain_valid_for(70);
  certbot_renew("site", renewed, 2);
  // certbot runs its deploy hooks ~3 ms after the last link: `apig-certd sync` takes the lock.
  const ProcessResult hook = sync({"--no-wait"});
  EXPECT_EQ(hook.exit_code, 0) << hook.out << hook.err;
  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf)));
  // The daemon's debounced pass runs too, and finds the target in sync.
  ASSERT_TRUE(wait_idle_after("debug: pass (due) done in")) << daemon_->stderr_text();
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests() << daemon_->stderr_text();
}

TEST_F(RunDaemonTest, CertbotRollbackToAnOlderCertificateIsRefused) {
  start_with_certbot_lineage();
  const TestChain renewed = chain_valid_for(80);
  certbot_renew("site", renewed, 2);
  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf)));
  clear_requests();
  certbot_roll_back("site", 1);
  ASSERT_TRUE(daemon_->wait_for_stderr("with an older certificate", milliseconds(5'000)))
      << daemon_->stderr_text();
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();
  EXPECT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(renewed.leaf));
  EXPECT_NE(daemon_->stderr_text().find("error: failed: binding 'site'"), std::string::npos)
      << daemon_->stderr_text();
}

TEST_F(RunDaemonTest, ExpiredCertificateIsNeverBound) {
  start_with_certbot_lineage();
  const TestChain expired = chain_valid_for(-1);
  certbot_renew("site", expired, 2);
  ASSERT_TRUE(daemon_->wait_for_stderr("expired", milliseconds(6'000))) << daemon_->stderr_text();
  ASSERT_TRUE(wait_idle_after("expired")) << daemon_->stderr_text();
  EXPECT_EQ(count_requests("POST"), 0) << describe_requests();
  EXPECT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(first_->leaf));
}

TEST_F(RunDaemonTest, CertificateInsideRenewWarningIsWarnedAbout) {
  renew_warning_ = "30d";
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  const TestChain soon = chain_valid_for(10);
  certbot_renew("site", soon, 1);
  add_certbot_binding();
  start_daemon();
  wait_ready();
  EXPECT_TRUE(daemon_->wait_for_stderr("warning: binding 'site'", milliseconds(2'000)));
  EXPECT_NE(daemon_->stderr_text().find("is the ACME client renewing it?"), std::string::npos)
      << daemon_->stderr_text();
  const std::optional<std::string> status = notify_->wait_for("STATUS=", milliseconds(2'000));
  ASSERT_TRUE(status);
  EXPECT_NE(status->find("1 expiring"), std::string::npos) << *status;
}

TEST_F(RunDaemonTest, LegoAndAcmeShInPlaceRewritesAreBoundOnce) {
  start_sim(
      json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3}),
                                                sim_domain("g1", "api.example.com", {3})}))}));
  const std::filesystem::path lego = temp_dir_.path() / ".lego/certificates";
  const std::filesystem::path acme = temp_dir_.path() / "acme.sh/www.example.com";
  std::filesystem::create_directories(lego);
  std::filesystem::create_directories(acme);
  const TestChain www = chain_valid_for(60);
  const TestChain api = chain_valid_for(60, {"api.example.com"});
  rewrite_in_place(lego / "www.crt", www.fullchain());
  rewrite_in_place(lego / "www.key", www.key.pem());
  rewrite_in_place(acme / "fullchain.cer", api.fullchain());
  rewrite_in_place(acme / "api.key", api.key.pem());
  add_file_binding("lego", lego / "www.crt", lego / "www.key", kDomain);
  add_file_binding("acmesh", acme / "fullchain.cer", acme / "api.key", "api.example.com");
  start_daemon();
  wait_ready();
  ASSERT_TRUE(wait_daemon_idle()) << daemon_->stderr_text();
  clear_requests();

  // The certificate is rewritten before the key, so for a moment the new certificate sits
  // beside the old key (and each file is empty between truncate and write).
  const TestChain renewed = chain_valid_for(70);
  rewrite_in_place(lego / "www.crt", renewed.fullchain());
  std::this_thread::sleep_for(milliseconds(5));
  rewrite_in_place(lego / "www.key", renewed.key.pem());
  expect_one_bind(renewed, std::chrono::system_clock::now());

  clear_requests();
  const TestChain api2 = chain_valid_for(71, {"api.example.com"});
  rewrite_in_place(acme / "fullchain.cer", api2.fullchain());
  rewrite_in_place(acme / "api.key", api2.key.pem());
  expect_one_bind(api2, std::chrono::system_clock::now(), "api.example.com");
}

TEST_F(RunDaemonTest, DehydratedLinkSwapsAreBoundOnce) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  const std::filesystem::path dir = temp_dir_.path() / "dehydrated/certs" / kDomain;
  std::filesystem::create_directories(dir);
  const auto deploy = [&](const TestChain& chain, const std::string& stamp) {
    rewrite_in_place(dir / ("privkey-" + stamp + ".pem"), chain.key.pem());
    rewrite_in_place(dir / ("cert-" + stamp + ".pem"), chain.leaf);
    rewrite_in_place(dir / ("fullchain-" + stamp + ".pem"), chain.fullchain());
    replace_symlink("privkey-" + stamp + ".pem", dir / "privkey.pem");
    replace_symlink("fullchain-" + stamp + ".pem", dir / "fullchain.pem");
    replace_symlink("cert-" + stamp + ".pem", dir / "cert.pem");
    return std::chrono::system_clock::now();
  };
  const TestChain first = chain_valid_for(60);
  deploy(first, "1700000000");
  add_file_binding("dehydrated", dir / "fullchain.pem", dir / "privkey.pem", kDomain);
  start_daemon();
  wait_ready();
  ASSERT_TRUE(wait_daemon_idle()) << daemon_->stderr_text();
  clear_requests();
  const TestChain renewed = chain_valid_for(61);
  expect_one_bind(renewed, deploy(renewed, "1700086400"));
}

TEST_F(RunDaemonTest, KubernetesSecretVolumeSwapIsBoundOnce) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  const std::filesystem::path volume = temp_dir_.path() / "secret-volume";
  // kubelet's AtomicWriter, step by step (run_fixture.h).
  const auto publish = [&](const TestChain& chain) {
    return kubelet_atomic_write(volume,
                                {{"tls.crt", chain.fullchain()}, {"tls.key", chain.key.pem()}},
                                std::filesystem::perms(0400));
  };
  publish(chain_valid_for(60));
  add_file_binding("k8s", volume / "tls.crt", volume / "tls.key", kDomain);
  start_daemon();
  wait_ready();
  ASSERT_TRUE(wait_daemon_idle()) << daemon_->stderr_text();
  for (int round = 1; round <= 2; ++round) {
    clear_requests();
    const TestChain renewed = chain_valid_for(60 + round);
    expect_one_bind(renewed, publish(renewed));
  }
}

TEST_F(RunDaemonTest, RenameIntoPlaceIsBoundOnce) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  const std::filesystem::path dir = temp_dir_.path() / "tls";
  std::filesystem::create_directories(dir);
  const auto install = [&](const TestChain& chain) {
    rewrite_in_place(dir / ".cert.tmp", chain.fullchain());
    rewrite_in_place(dir / ".key.tmp", chain.key.pem());
    std::filesystem::rename(dir / ".cert.tmp", dir / "cert.pem");
    std::filesystem::rename(dir / ".key.tmp", dir / "key.pem");
    return std::chrono::system_clock::now();
  };
  install(chain_valid_for(60));
  add_file_binding("renamed", dir / "cert.pem", dir / "key.pem", kDomain);
  start_daemon();
  wait_ready();
  ASSERT_TRUE(wait_daemon_idle()) << daemon_->stderr_text();
  clear_requests();
  const TestChain renewed = chain_valid_for(61);
  expect_one_bind(renewed, install(renewed));
}

// While a bound domain's CNAME resolves, the daemon reads its group every poll.interval. Such
// a poll only reads the group: no state lock (a deploy hook's `sync` may hold it), no bundle,
// no write to state_dir (each save replaces the file: a new inode). A read that finds a change
// (1 -> 2, 2 -> 3) makes a pass, which records it.
TEST_F(RunDaemonTest, CnamePollReadsTheGroupWithoutLockOrPassAndAPassRecordsTheResolution) {
  start_sim(json::array(
      {sim_group("g1", json::array({sim_domain("g1", kDomain, {2, 2, 2, 2, 2, 2, 2, 2, 3})}))}));
  const std::filesystem::path dir = temp_dir_.path() / "tls";
  std::filesystem::create_directories(dir);
  const TestChain chain = chain_valid_for(60);
  rewrite_in_place(dir / "cert.pem", chain.fullchain());
  rewrite_in_place(dir / "key.pem", chain.key.pem());
  add_file_binding("site", dir / "cert.pem", dir / "key.pem", kDomain);
  log_level_ = "debug";
  start_daemon();
  wait_ready();
  const auto cname_status = [&] {
    std::ifstream in(state_file());
    const json state = json::parse(in, nullptr, false);
    return state.is_object() ? state["targets"].begin()->value("cname_status", 0) : -1;
  };
  const auto count = [&](std::string_view needle) {
    const std::string err = daemon_->stderr_text();
    int found = 0;
    for (std::size_t at = err.find(needle); at != std::string::npos;
         at = err.find(needle, at + 1)) {
      ++found;
    }
    return found;
  };
  // The first poll reads 2 where the bind recorded 1: a pass records it.
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(10'000);
  while (cname_status() != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(cname_status(), 2) << daemon_->stderr_text();
  while (count("pass (due) done") < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(count("pass (due) done"), 1) << daemon_->stderr_text();
  // From now on the state lock is held, as a deploy hook's `sync` would.
  const int held = ::open((state_dir() / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  const auto inode_of_state = [&] {
    struct stat status {};
    return ::stat(state_file().c_str(), &status) == 0 ? status.st_ino : 0;
  };
  const auto inode = inode_of_state();
  const int polls_before = count("; nothing changed");
  // Three more polls that still see 2, while the lock is held.
  while (count("; nothing changed") < polls_before + 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_GE(count("; nothing changed"), polls_before + 3) << daemon_->stderr_text();
  EXPECT_EQ(count("pass (due) done"), 1) << "a poll that changed nothing is no pass";
  EXPECT_EQ(inode_of_state(), inode) << "state.json was rewritten by polls that changed nothing";
  ::close(held);
  // The resolution is found by a poll and saved by a pass.
  while (cname_status() != 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(cname_status(), 3) << daemon_->stderr_text();
  EXPECT_GE(count("a pass records what changed for 'site'"), 2) << daemon_->stderr_text();
}

TEST_F(RunDaemonTest, DirectoryThatDoesNotExistYetIsWatchedFromItsParent) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  const std::filesystem::path dir = temp_dir_.path() / "later/live/site";
  add_file_binding("later", dir / "fullchain.pem", dir / "privkey.pem", kDomain);
  start_daemon();
  wait_ready();  // the first pass reports the missing files
  EXPECT_EQ(count_requests("POST"), 0);
  const TestChain chain = chain_valid_for(60);
  std::filesystem::create_directories(dir);
  rewrite_in_place(dir / "fullchain.pem", chain.fullchain());
  rewrite_in_place(dir / "privkey.pem", chain.key.pem());
  EXPECT_TRUE(wait_bound(kDomain, sha256_fingerprint(chain.leaf), milliseconds(3'000)))
      << daemon_->stderr_text();
  EXPECT_EQ(count_requests("POST"), 1) << describe_requests();
}

}  // namespace
}  // namespace apig_certd::testing::run_daemon_test
