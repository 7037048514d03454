// `apig-certd run` as systemd sees it: the notify protocol on a test-owned NOTIFY_SOCKET,
// reload with a good and a bad config, shutdown (also with a request hanging), faults injected
// into apig-sim while the daemon runs, and the idle daemon making no request and using no CPU.

#include <algorithm>
#include <csignal>
#include <fstream>

#include "tests/integration/run_fixture.h"

namespace apig_certd::testing::run_service_test {
namespace {

using nlohmann::json;

constexpr const char* kDomain = "www.example.com";

// utime + stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
long cpu_ticks(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::ostringstream buffer;
  buffer << file.rdbuf();
  const std::string text = buffer.str();
  const std::size_t end_of_name = text.rfind(')');
  if (end_of_name == std::string::npos) {
    return -1;
  }
  std::istringstream fields(text.substr(end_of_name + 2));
  std::string field;
  long utime = 0;
  long stime = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14) {
      utime = std::stol(field);
    } else if (index == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

class RunServiceTest : public RunTest {
 protected:
  // One binding "site" (lineage temp/site) on www.example.com, bound by the first pass.
  void start_bound(std::map<std::string, std::string> environment = {}) {
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
    chain_ = make_chain({.sans = {kDomain}});
    write_certificate("site", *chain_);
    add_binding("site", {{"g1", kDomain}});
    start_daemon(std::move(environment));
    wait_ready();
    ASSERT_EQ(bound_fingerprint(kDomain), sha256_fingerprint(chain_->leaf))
        << daemon_->stderr_text();
  }

  std::optional<TestChain> chain_;
};

TEST_F(RunServiceTest, NotifiesReadyStatusWatchdogReloadAndStopping) {
  start_bound({{"WATCHDOG_USEC", "200000"}});
  const std::vector<std::string> received = notify_->received();
  const auto ready = std::find_if(received.begin(), received.end(),
                                  [](const std::string& m) { return m.starts_with("READY=1"); });
  ASSERT_NE(ready, received.end());
  EXPECT_TRUE(ready->starts_with("READY=1\nSTATUS=1 target: ")) << *ready;
  EXPECT_TRUE(notify_->wait_for("STATUS=1 target: 1 in sync", milliseconds(3'000)))
      << daemon_->stderr_text();
  // WATCHDOG_USEC=200000: a ping every 100 ms, from the loop.
  ASSERT_TRUE(notify_->wait_for("WATCHDOG=1", milliseconds(2'000)));
  ASSERT_TRUE(notify_->wait_for("WATCHDOG=1", milliseconds(2'000)));

  daemon_->signal(SIGHUP);
  const std::optional<std::string> reloading =
      notify_->wait_for("RELOADING=1", milliseconds(3'000));
  ASSERT_TRUE(reloading);
  EXPECT_NE(reloading->find("MONOTONIC_USEC="), std::string::npos) << *reloading;
  EXPECT_TRUE(notify_->wait_for("READY=1", milliseconds(3'000)));
  EXPECT_TRUE(daemon_->wait_for_stderr("configuration reloaded: 1 binding(s)", milliseconds(3'000)))
      << daemon_->stderr_text();

  daemon_->signal(SIGTERM);
  EXPECT_TRUE(notify_->wait_for("STOPPING=1", milliseconds(3'000)));
  EXPECT_EQ(daemon_->wait(milliseconds(10'000)), std::optional<int>(0)) << daemon_->stderr_text();
}

TEST_F(RunServiceTest, InvalidConfigOnReloadKeepsTheOldOne) {
  start_bound();
  const std::filesystem::path config = temp_dir_.path() / "config.toml";
  const std::string good = read_file(config);
  temp_dir_.write("config.toml", good + "\n[daemon]\nno_such_key = 1\n");
  daemon_->signal(SIGHUP);
  ASSERT_TRUE(notify_->wait_for("RELOADING=1", milliseconds(3'000)));
  ASSERT_TRUE(notify_->wait_for("READY=1", milliseconds(3'000)));
  ASSERT_TRUE(daemon_->wait_for_stderr("keeping the old one", milliseconds(3'000)))
      << daemon_->stderr_text();
  EXPECT_NE(daemon_->stderr_text().find("config.toml:"), std::string::npos)
      << "the reload error names the file and line\n"
      << daemon_->stderr_text();
  // Still running on the old config: a renewal is bound.
  const TestChain renewed = make_chain({.sans = {kDomain}, .serial = 4242});
  write_certificate("site", renewed);
  EXPECT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf), milliseconds(5'000)))
      << daemon_->stderr_text();
  daemon_->signal(SIGTERM);
  EXPECT_EQ(daemon_->wait(milliseconds(10'000)), std::optional<int>(0));
}

TEST_F(RunServiceTest, InvalidConfigAtStartExits78) {
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  bindings_ = "\n[[binding]]\nname = \"x\"\n";  // no certificate, no target
  start_daemon();
  EXPECT_EQ(daemon_->wait(milliseconds(10'000)), std::optional<int>(78)) << daemon_->stderr_text();
  EXPECT_NE(daemon_->stderr_text().find("config.toml:"), std::string::npos)
      << daemon_->stderr_text();
}

TEST_F(RunServiceTest, RunOfServerErrorsIsRetriedOnTheBackoffScheduleThenSucceeds) {
  start_bound();
  clear_requests();
  add_fault({{"method", "POST"}, {"status", 503}, {"count", 3}});
  const TestChain renewed = make_chain({.sans = {kDomain}, .serial = 777});
  write_certificate("site", renewed);
  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf), milliseconds(10'000)))
      << daemon_->stderr_text() << describe_requests();
  // 3 refused + 1 accepted; before each retry the group is re-read (the 503 may have landed).
  EXPECT_EQ(count_requests("POST"), 4) << describe_requests();
}

TEST_F(RunServiceTest, HungRequestTimesOutAndIsRetried) {
  apig_timeout_ = "1s";
  start_bound();
  clear_requests();
  add_fault({{"method", "POST"}, {"action", "hang"}, {"delay_ms", 3000}});
  const TestChain renewed = make_chain({.sans = {kDomain}, .serial = 778});
  write_certificate("site", renewed);
  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf), milliseconds(10'000)))
      << daemon_->stderr_text() << describe_requests();
}

TEST_F(RunServiceTest, FailedPassIsRetriedLaterByTheDaemon) {
  // Every POST fails for longer than one pass may take (poll.timeout = 1s): the pass gives up,
  // records next_attempt, and the daemon comes back on the backoff schedule by itself.
  poll_timeout_ = "1s";
  start_bound();
  clear_requests();
  // The fault stays until the pass has given up: a fixed count of failures could fit inside one
  // pass when the jittered backoff draws short delays (CI saw exactly that).
  add_fault({{"method", "POST"}, {"status", 503}, {"count", -1}});
  const TestChain renewed = make_chain({.sans = {kDomain}, .serial = 779});
  write_certificate("site", renewed);
  ASSERT_TRUE(daemon_->wait_for_stderr("error: failed: binding 'site'", milliseconds(15'000)))
      << daemon_->stderr_text() << describe_requests();
  clear_faults();
  ASSERT_TRUE(wait_bound(kDomain, sha256_fingerprint(renewed.leaf), milliseconds(15'000)))
      << daemon_->stderr_text() << describe_requests();
}

TEST_F(RunServiceTest, SigtermDuringAHungRequestExitsWithinTheBound) {
  apig_timeout_ = "3s";
  start_bound();
  add_fault({{"method", "POST"}, {"action", "hang"}, {"delay_ms", 60000}, {"count", -1}});
  const TestChain renewed = make_chain({.sans = {kDomain}, .serial = 780});
  write_certificate("site", renewed);
  // Wait until the POST is hanging.
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5'000);
  while (count_requests("POST") < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GE(count_requests("POST"), 2) << describe_requests();
  const auto stopped_at = std::chrono::steady_clock::now();
  daemon_->signal(SIGTERM);
  // The bound: min(apig.timeout, 20 s) for the request in flight, plus a little.
  const std::optional<int> code = daemon_->wait(milliseconds(8'000));
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - stopped_at);
  ASSERT_TRUE(code) << "still running 8 s after SIGTERM\n" << daemon_->stderr_text();
  EXPECT_EQ(*code, 0) << daemon_->stderr_text();
  std::printf("exit after SIGTERM with a hung request: %lld ms\n",
              static_cast<long long>(took.count()));
  const json state = json::parse(read_file(state_file()), nullptr, false);
  EXPECT_TRUE(state.is_object() && state["targets"].is_object()) << "the state file is parseable";
}

TEST_F(RunServiceTest, SyncStopsOnSigterm) {
  // Only `run` handles signals itself; a `sync` stuck on a hung request (e.g. under
  // `systemctl stop apig-certd-sync`) must still die of SIGTERM at once.
  start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain, {3})}))}));
  write_certificate("site", make_chain({.sans = {kDomain}}));
  add_binding("site", {{"g1", kDomain}});
  add_fault({{"method", "POST"}, {"action", "hang"}, {"delay_ms", 60000}, {"count", -1}});
  std::unique_ptr<BackgroundProcess> sync_process =
      BackgroundProcess::start({APIG_CERTD_BINARY, "sync", "--config", write_config().string()},
                               {{"APIG_CERTD_CONFIG", ""}, {"JOURNAL_STREAM", ""}});
  ASSERT_NE(sync_process, nullptr);
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5'000);
  while (count_requests("POST") < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GE(count_requests("POST"), 1) << describe_requests();
  sync_process->signal(SIGTERM);
  EXPECT_TRUE(sync_process->wait(milliseconds(3'000))) << "sync ignored SIGTERM";
  outputs_ += sync_process->stdout_text() + sync_process->stderr_text();
}

TEST_F(RunServiceTest, IdleDaemonWithFiftyBindingsMakesNoRequestAndUsesNoCpu) {
  json domains = json::array();
  for (int i = 0; i < 50; ++i) {
    domains.push_back(sim_domain("g1", "d" + std::to_string(i) + ".example.com", {3}));
  }
  start_sim(json::array({sim_group("g1", domains)}));
  for (int i = 0; i < 50; ++i) {
    const std::string name = "b" + std::to_string(i);
    const std::string domain = "d" + std::to_string(i) + ".example.com";
    write_certificate(name, make_chain({.sans = {domain}}));
    add_binding(name, {{"g1", domain}});
  }
  log_level_ = "info";
  start_daemon();
  wait_ready();
  // Quiet means: every target bound and its CNAME resolved (the polls after the binds are
  // over). Slow builds (sanitizers) take a while to get there.
  ASSERT_TRUE(notify_->wait_for("50 targets: 50 in sync", milliseconds(60'000)))
      << daemon_->stderr_text();
  std::this_thread::sleep_for(milliseconds(300));
  clear_requests();
  const long before = cpu_ticks(daemon_->pid());
  std::this_thread::sleep_for(milliseconds(10'000));
  const long after = cpu_ticks(daemon_->pid());
  std::printf("idle 10 s with 50 bindings: %ld clock ticks of CPU, %d requests\n", after - before,
              static_cast<int>(requests().size()));
  EXPECT_EQ(requests().size(), 0U) << describe_requests();
  EXPECT_LE(after - before, 1) << "the idle daemon used CPU";
}

}  // namespace
}  // namespace apig_certd::testing::run_service_test
