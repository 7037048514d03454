#include "daemon/core/environment.h"

#include <gtest/gtest.h>

#include "daemon/core/scope_exit.h"
#include "tests/support/fake_clock.h"

namespace apig_certd::environment_test {
namespace {

TEST(Environment, SnapshotOfProcessSeesPath) {
  const Environment environment = Environment::from_process();
  EXPECT_TRUE(environment.get("PATH").has_value());
  EXPECT_FALSE(environment.get("APIG_CERTD_SURELY_UNSET_VARIABLE").has_value());
}

TEST(Environment, SetGetUnset) {
  Environment environment;
  environment.set("A", "");
  ASSERT_TRUE(environment.get("A").has_value());
  EXPECT_EQ(*environment.get("A"), "");
  environment.unset("A");
  EXPECT_FALSE(environment.get("A").has_value());
}

TEST(ScopeExit, RunsUnlessCancelled) {
  int runs = 0;
  {
    ScopeExit guard([&runs] { ++runs; });
  }
  {
    ScopeExit guard([&runs] { ++runs; });
    guard.cancel();
  }
  EXPECT_EQ(runs, 1);
}

TEST(FakeClock, AdvancesBothTimelines) {
  testing::FakeClock clock;
  const SystemTime wall = clock.now();
  const MonotonicTime mono = clock.monotonic_now();
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.now() - wall, std::chrono::seconds(5));
  EXPECT_EQ(clock.monotonic_now() - mono, std::chrono::seconds(5));
}

}  // namespace
}  // namespace apig_certd::environment_test
