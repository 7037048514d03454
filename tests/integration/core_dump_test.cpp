// No core dumps of keys (issue 7): every command that reads a private key or a credential
// marks itself not dumpable (prctl(PR_SET_DUMPABLE, 0)), so a crash or a SIGABRT in the
// middle of a bind never writes the key, the SK or the token to a core file, whatever the
// shell's `ulimit -c` says. Tested for real: each command is caught while it waits on a hung
// APIG request, with `ulimit -c unlimited`, and sent SIGABRT; the kernel must not dump it.
// A control child (sleep) under the same limit must dump, or the machine cannot tell (the
// test is then skipped, saying why).

#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/sync_fixture.h"
#include "tests/support/background_process.h"

namespace apig_certd::testing::core_dump_test {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::milliseconds;

constexpr const char* kDomain = "www.example.com";

class CoreDumpTest : public SyncTest {
 protected:
  void SetUp() override {
    SyncTest::SetUp();
    start_sim(json::array({sim_group("g1", json::array({sim_domain("g1", kDomain)}))}));
    write_certificate("site", make_chain({.sans = {kDomain}, .not_after_offset = hours(24 * 60)},
                                         KeyKind::EcP256));
    add_binding("site", {{"g1", kDomain}});
    // Every group read hangs (until the simulator stops), so the command sits in the middle
    // of its pass, with the key loaded and the credentials read.
    add_fault({{"method", "GET"},
               {"path_regex", "/api-groups/g1$"},
               {"action", "hang"},
               {"delay_ms", 60'000},
               {"count", -1}});
    crash_dir_ = temp_dir_.path() / "crash";
    std::filesystem::create_directories(crash_dir_);
  }

  // Starts argv in crash_dir_ with no limit on core files (a shell sets it, then execs).
  std::unique_ptr<BackgroundProcess> start_with_cores_allowed(
      const std::vector<std::string>& argv,
      const std::map<std::string, std::string>& environment = {}) const {
    std::vector<std::string> wrapped{
        "/bin/sh", "-c", R"(ulimit -c unlimited && cd "$0" && exec "$@")", crash_dir_.string()};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return BackgroundProcess::start(wrapped, environment);
  }

  // SIGABRT, then whether the kernel wrote a core dump of the child.
  static bool abort_dumps_core(BackgroundProcess& child) {
    child.signal(SIGABRT);
    EXPECT_TRUE(child.wait(milliseconds(10'000)).has_value()) << "did not end on SIGABRT";
    return child.dumped_core();
  }

  // Skips the test unless a plain child under the same limit does dump core here.
  void require_core_dumps_to_work() {
    const std::unique_ptr<BackgroundProcess> control =
        start_with_cores_allowed({"/bin/sleep", "60"});
    ASSERT_NE(control, nullptr);
    std::this_thread::sleep_for(milliseconds(100));  // let the shell exec sleep
    const bool dumped = abort_dumps_core(*control);
    std::filesystem::remove_all(crash_dir_);
    std::filesystem::create_directories(crash_dir_);
    if (!dumped) {
      GTEST_SKIP() << "this machine writes no core dump even for a plain child "
                      "(/proc/sys/kernel/core_pattern, or a hard RLIMIT_CORE of 0)";
    }
  }

  // Waits until the simulator has seen the command's group read (the pass is under way).
  void wait_for_group_read() const {
    const auto deadline = std::chrono::steady_clock::now() + milliseconds(20'000);
    while (count_requests("GET", "/api-groups/g1") == 0 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    ASSERT_GE(count_requests("GET", "/api-groups/g1"), 1) << describe_requests();
  }

  void expect_no_core(const std::vector<std::string>& arguments,
                      std::map<std::string, std::string> environment = {}) {
    require_core_dumps_to_work();
    if (IsSkipped()) {
      return;
    }
    std::vector<std::string> argv{APIG_CERTD_BINARY, "--config", write_config().string()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    environment.emplace("APIG_CERTD_CONFIG", "");
    environment.emplace("JOURNAL_STREAM", "");
    environment.emplace("NOTIFY_SOCKET", "");
    const std::unique_ptr<BackgroundProcess> command = start_with_cores_allowed(argv, environment);
    ASSERT_NE(command, nullptr);
    wait_for_group_read();
    EXPECT_FALSE(abort_dumps_core(*command)) << "a core dump of apig-certd was written";
    EXPECT_TRUE(std::filesystem::is_empty(crash_dir_));
    outputs_ += command->stdout_text() + command->stderr_text();
  }

  std::filesystem::path crash_dir_;
};

TEST_F(CoreDumpTest, SyncIsNotDumpable) {
  expect_no_core({"sync"});
}

TEST_F(CoreDumpTest, DaemonIsNotDumpable) {
  expect_no_core({"run"});
}

TEST_F(CoreDumpTest, DeployHookIsNotDumpable) {
  expect_no_core({"hook", "certbot"}, {{"RENEWED_LINEAGE", (temp_dir_.path() / "site").string()},
                                       {"RENEWED_DOMAINS", kDomain}});
}

}  // namespace
}  // namespace apig_certd::testing::core_dump_test
