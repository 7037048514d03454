#include "daemon/service/notifier.h"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/notify_socket.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::service::notifier_test {
namespace {

// NOTIFY_SOCKET points at a test-owned socket while an object of this lives.
class NotifyEnvironment {
 public:
  explicit NotifyEnvironment(const std::filesystem::path& path) {
    ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  }
  ~NotifyEnvironment() { ::unsetenv("NOTIFY_SOCKET"); }
  NotifyEnvironment(const NotifyEnvironment&) = delete;
  NotifyEnvironment& operator=(const NotifyEnvironment&) = delete;
  NotifyEnvironment(NotifyEnvironment&&) = delete;
  NotifyEnvironment& operator=(NotifyEnvironment&&) = delete;
};

std::string next(testing::NotifySocket& socket) {
  return socket.receive(std::chrono::milliseconds(1000)).value_or("(nothing)");
}

TEST(Notifier, SendsEachMessageToTheNotifySocket) {
  testing::TempDir dir;
  testing::NotifySocket socket(dir.path() / "notify");
  ASSERT_TRUE(socket.bound());
  const NotifyEnvironment environment(socket.path());
  Notifier::ready("2 targets: 2 in sync");
  EXPECT_EQ(next(socket), "READY=1\nSTATUS=2 targets: 2 in sync");
  Notifier::status("line one\nline two");
  EXPECT_EQ(next(socket), "STATUS=line one line two");
  Notifier::reloading();
  const std::string reloading = next(socket);
  EXPECT_TRUE(reloading.starts_with("RELOADING=1\nMONOTONIC_USEC=")) << reloading;
  EXPECT_GT(std::stoull(reloading.substr(reloading.find('=', 12) + 1)), 0U);
  Notifier::watchdog();
  EXPECT_EQ(next(socket), "WATCHDOG=1");
  Notifier::stopping();
  EXPECT_EQ(next(socket), "STOPPING=1");
}

TEST(Notifier, SendsNothingWithoutNotifySocket) {
  testing::TempDir dir;
  testing::NotifySocket socket(dir.path() / "notify");
  ASSERT_TRUE(socket.bound());
  ::unsetenv("NOTIFY_SOCKET");
  Notifier::ready("unset");  // must not crash, block or send anywhere
  Notifier::stopping();
  {
    const NotifyEnvironment environment(socket.path());
    Notifier::status("set");
  }
  // Datagrams arrive in order: anything sent while NOTIFY_SOCKET was unset would come first.
  EXPECT_EQ(next(socket), "STATUS=set");
  EXPECT_EQ(socket.received().size(), 1U);
}

TEST(Notifier, WatchdogIntervalComesFromTheEnvironment) {
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(Notifier::watchdog_interval());
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  const std::optional<Duration> interval = Notifier::watchdog_interval();
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  ASSERT_TRUE(interval);
  EXPECT_EQ(*interval, std::chrono::seconds(3));
}

}  // namespace
}  // namespace apig_certd::service::notifier_test
