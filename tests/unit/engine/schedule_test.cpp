#include "daemon/engine/schedule.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace apig_certd::engine::schedule_test {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const SystemTime kWall = SystemTime(hours(24 * 365 * 56));  // the wall clock at the start
const MonotonicTime kMono = MonotonicTime(hours(5));        // the monotonic clock at the start

// What the wall clock may do while the daemon waits: nothing, or be set back or forward.
constexpr milliseconds kWallSteps[] = {milliseconds(0), -hours(1), hours(1)};

settings::Settings two_bindings() {
  settings::Settings config;
  for (const char* name : {"a", "b"}) {
    settings::BindingSettings binding;
    binding.name = name;
    binding.targets.push_back(
        {"i", "g", std::string(name) + ".example.com", "", false, "", "", 443, true, "", {}});
    config.bindings.push_back(binding);
  }
  config.daemon.rescan_interval = hours(1);
  config.daemon.renew_warning = hours(24 * 21);
  config.poll.interval = seconds(5);
  config.poll.timeout = minutes(10);
  return config;
}

state::TargetState target_of(const std::string& binding) {
  state::TargetState target;
  target.binding = binding;
  target.last_result = state::TargetResult::InSync;
  target.cname_status = 3;
  target.disk_not_after = kWall + hours(24 * 60);
  return target;
}

// A pass that ended `ago` before the start, on both timelines.
PassTime pass_before(Duration ago) {
  return {kMono - ago, kWall - ago};
}

struct Fixture {
  testing::FakeClock clock{kWall};
  settings::Settings config = two_bindings();
  state::State state;
  ScheduleInput input;

  Fixture() {
    clock.advance(std::chrono::duration_cast<milliseconds>(kMono.time_since_epoch()));
    clock.set_now(kWall);
    state.targets["a/i/g/a.example.com"] = target_of("a");
    state.targets["b/i/g/b.example.com"] = target_of("b");
    input.settings = &config;
    input.state = &state;
    input.next_rescan = kMono + hours(1);
    input.last_pass = {{"a", pass_before(minutes(1))}, {"b", pass_before(minutes(1))}};
  }

  // The schedule at the clock's current time.
  Schedule run() {
    input.now = clock.now();
    input.monotonic_now = clock.monotonic_now();
    return schedule(input);
  }
};

TEST(Schedule, NothingDueSleepsUntilTheRescan) {
  Fixture f;
  const Schedule result = f.run();
  EXPECT_TRUE(result.due.empty());
  EXPECT_FALSE(result.rescan);
  ASSERT_TRUE(result.next);
  EXPECT_EQ(*result.next, kMono + hours(1));
  EXPECT_EQ(result.next_reason, "rescan");
}

TEST(Schedule, RescanMakesEveryBindingDue) {
  Fixture f;
  f.input.next_rescan = kMono;
  const Schedule result = f.run();
  EXPECT_TRUE(result.rescan);
  EXPECT_EQ(result.due, (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(result.files.empty());
}

TEST(Schedule, FileChangeIsDueOnlyAfterItsDebounce) {
  Fixture f;
  f.input.file_changes = {{"a", kMono + seconds(2)}};
  Schedule result = f.run();
  EXPECT_TRUE(result.due.empty());
  EXPECT_EQ(*result.next, kMono + seconds(2));
  EXPECT_EQ(result.next_reason, "file change of 'a'");

  f.clock.advance(seconds(2));
  result = f.run();
  EXPECT_EQ(result.due, std::set<std::string>{"a"});
  EXPECT_EQ(result.files, std::set<std::string>{"a"});
}

TEST(Schedule, DebounceEndsAfterItsMonotonicTimeWhateverTheWallClockDoes) {
  for (const milliseconds step : kWallSteps) {
    SCOPED_TRACE("wall clock stepped by " + std::to_string(step.count()) + " ms");
    Fixture f;
    f.input.file_changes = {{"a", kMono + seconds(2)}};  // the daemon saw a change now
    f.clock.advance(seconds(1));
    f.clock.step_wall(step);
    Schedule result = f.run();
    EXPECT_TRUE(result.due.empty());
    ASSERT_TRUE(result.next);
    EXPECT_EQ(*result.next, kMono + seconds(2));
    f.clock.advance(seconds(1));
    result = f.run();
    EXPECT_EQ(result.due, std::set<std::string>{"a"});
    EXPECT_EQ(result.files, std::set<std::string>{"a"});
  }
}

TEST(Schedule, RescanComesAfterItsMonotonicIntervalWhateverTheWallClockDoes) {
  for (const milliseconds step : kWallSteps) {
    SCOPED_TRACE("wall clock stepped by " + std::to_string(step.count()) + " ms");
    Fixture f;
    f.clock.advance(minutes(30));
    f.clock.step_wall(step);
    Schedule result = f.run();
    EXPECT_FALSE(result.rescan);
    ASSERT_TRUE(result.next);
    EXPECT_EQ(*result.next, kMono + hours(1));
    f.clock.advance(minutes(30));
    result = f.run();
    EXPECT_TRUE(result.rescan);
    EXPECT_EQ(result.due, (std::set<std::string>{"a", "b"}));
  }
}

TEST(Schedule, FileChangesOfUnknownBindingsAreIgnored) {
  Fixture f;
  f.input.file_changes = {{"gone", kMono - seconds(1)}};
  EXPECT_TRUE(f.run().due.empty());
}

TEST(Schedule, RetryIsDueAtNextAttempt) {
  Fixture f;
  f.state.targets["b/i/g/b.example.com"].next_attempt = kWall + seconds(40);
  Schedule result = f.run();
  EXPECT_EQ(*result.next, kMono + seconds(40));
  EXPECT_EQ(result.next_reason, "retry of 'b'");
  f.clock.advance(seconds(41));
  result = f.run();
  EXPECT_EQ(result.due, std::set<std::string>{"b"});
}

// next_attempt is persisted as wall-clock time: due when the wall clock reaches it, however
// much monotonic time that took.
TEST(Schedule, RetryIsDueWhenTheWallClockReachesItWhateverTheWallClockDid) {
  for (const milliseconds step : kWallSteps) {
    SCOPED_TRACE("wall clock stepped by " + std::to_string(step.count()) + " ms");
    Fixture f;
    f.state.targets["b/i/g/b.example.com"].next_attempt = kWall + minutes(90);
    f.input.next_rescan = kMono + hours(24);
    f.clock.advance(minutes(10));
    f.clock.step_wall(step);
    Schedule result = f.run();
    EXPECT_TRUE(result.due.empty());
    ASSERT_TRUE(result.next);
    const Duration left = minutes(80) - step;  // wall time to go
    EXPECT_EQ(*result.next, f.clock.monotonic_now() + left);
    EXPECT_EQ(result.next_reason, "retry of 'b'");
    f.clock.advance(std::chrono::duration_cast<milliseconds>(left) - seconds(1));
    EXPECT_TRUE(f.run().due.empty());
    f.clock.advance(seconds(1));
    EXPECT_EQ(f.run().due, std::set<std::string>{"b"});
  }
}

TEST(Schedule, ResolvingCnameIsPolledEveryIntervalUntilPollTimeout) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.cname_status = 2;
  a.last_result = state::TargetResult::Resolving;
  a.bound_at = kWall - minutes(1);
  f.input.last_pass["a"] = pass_before(seconds(2));
  Schedule result = f.run();
  EXPECT_EQ(*result.next, kMono + seconds(3));
  EXPECT_EQ(result.next_reason, "CNAME poll of 'a'");

  a.bound_at = kWall - minutes(11);  // poll.timeout passed: only the rescan checks again
  result = f.run();
  EXPECT_EQ(result.next_reason, "rescan");
}

TEST(Schedule, CnamePollComesAfterItsMonotonicIntervalWhateverTheWallClockDoes) {
  for (const milliseconds step :
       {milliseconds(0), milliseconds(-hours(1)), milliseconds(minutes(5))}) {
    SCOPED_TRACE("wall clock stepped by " + std::to_string(step.count()) + " ms");
    Fixture f;
    state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
    a.cname_status = 1;
    a.bound_at = kWall - seconds(1);
    f.input.last_pass["a"] = pass_before(Duration::zero());
    f.clock.advance(seconds(4));
    f.clock.step_wall(step);
    Schedule result = f.run();
    EXPECT_TRUE(result.due.empty());
    ASSERT_TRUE(result.next);
    EXPECT_EQ(*result.next, kMono + seconds(5));
    EXPECT_EQ(result.next_reason, "CNAME poll of 'a'");
    f.clock.advance(seconds(1));
    EXPECT_EQ(f.run().polls, std::set<std::string>{"a"});
  }
}

TEST(Schedule, CnamePollIsAReadOfTheGroupNotAPass) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.cname_status = 2;
  a.bound_at = kWall - seconds(30);
  f.input.last_pass["a"] = pass_before(seconds(5));
  Schedule result = f.run();
  EXPECT_TRUE(result.due.empty());
  EXPECT_EQ(result.polls, std::set<std::string>{"a"});
  // A pass due anyway reads the group itself: no poll beside it.
  a.next_attempt = kWall;
  result = f.run();
  EXPECT_EQ(result.due, std::set<std::string>{"a"});
  EXPECT_TRUE(result.polls.empty());
}

TEST(Schedule, CnameChangeAPollFoundMakesItsBindingDueForAPass) {
  Fixture f;
  f.input.cname_changed = {"b", "removed"};
  const Schedule result = f.run();
  EXPECT_EQ(result.due, std::set<std::string>{"b"});
  EXPECT_TRUE(result.polls.empty());
}

TEST(Schedule, ExpiryEdgesWakeTheDaemonOnce) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.disk_not_after = kWall + hours(24 * 21) + minutes(30);  // enters renew_warning in 30 min
  Schedule result = f.run();
  EXPECT_EQ(*result.next, kMono + minutes(30));
  EXPECT_EQ(result.next_reason, "renew_warning of 'a'");

  // After a pass past the edge, the next edge is the expiry itself (beyond the rescan here).
  f.clock.advance(minutes(31));
  f.input.last_pass["a"] = {f.clock.monotonic_now(), f.clock.now()};
  f.input.next_rescan = kMono + hours(48 * 24);
  result = f.run();
  EXPECT_TRUE(result.due.empty());
  EXPECT_EQ(*result.next, kMono + hours(24 * 21) + minutes(30));
  EXPECT_EQ(result.next_reason, "expiry of 'a'");
}

// Expiry edges are wall-clock moments: one is due when the wall clock reaches it, also when
// the clock is set past it (the pass before had not seen it), and never again after a pass
// that saw it, even when the clock is then set back before it.
TEST(Schedule, ExpiryEdgeIsDueWhenTheWallClockReachesItWhateverTheWallClockDid) {
  for (const milliseconds step : kWallSteps) {
    SCOPED_TRACE("wall clock stepped by " + std::to_string(step.count()) + " ms");
    Fixture f;
    state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
    a.disk_not_after = kWall + hours(24 * 21) + minutes(30);  // renew_warning in 30 min
    f.input.next_rescan = kMono + hours(24);
    f.clock.advance(minutes(10));
    f.clock.step_wall(step);
    const Duration left = minutes(20) - step;  // wall time to go (past it: due now)
    Schedule result = f.run();
    if (left > Duration::zero()) {
      EXPECT_TRUE(result.due.empty());
      ASSERT_TRUE(result.next);
      EXPECT_EQ(*result.next, f.clock.monotonic_now() + left);
      EXPECT_EQ(result.next_reason, "renew_warning of 'a'");
      f.clock.advance(std::chrono::duration_cast<milliseconds>(left));
    }
    EXPECT_EQ(f.run().due, std::set<std::string>{"a"});
    // A pass saw it; the clock set back an hour makes it no edge to wait for again.
    f.input.last_pass["a"] = {f.clock.monotonic_now(), f.clock.now()};
    f.clock.step_wall(-hours(1));
    result = f.run();
    EXPECT_TRUE(result.due.empty());
    EXPECT_EQ(result.next_reason, "rescan");
  }
}

TEST(Schedule, PendingFileChangeHoldsOtherReasonsUntilItsDebounceEnds) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.cname_status = 1;
  a.bound_at = kWall - seconds(1);
  f.input.last_pass["a"] = pass_before(seconds(5));  // a CNAME poll is due now
  f.input.next_rescan = kMono;                       // and the rescan
  f.input.file_changes = {{"a", kMono + seconds(2)}};
  Schedule result = f.run();
  EXPECT_TRUE(result.rescan);
  EXPECT_EQ(result.due, std::set<std::string>{"b"});
  f.clock.advance(seconds(2));
  result = f.run();
  EXPECT_TRUE(result.due.contains("a"));
  EXPECT_TRUE(result.files.contains("a"));
}

TEST(Schedule, StateOfBindingsNoLongerConfiguredIsIgnored) {
  Fixture f;
  state::TargetState old = target_of("removed");
  old.next_attempt = kWall - seconds(1);
  f.state.targets["removed/i/g/x"] = old;
  EXPECT_TRUE(f.run().due.empty());
}

TEST(Schedule, EarliestDeadlineWins) {
  Fixture f;
  f.state.targets["b/i/g/b.example.com"].next_attempt = kWall + seconds(40);
  f.input.file_changes = {{"a", kMono + seconds(2)}};
  EXPECT_EQ(*f.run().next, kMono + seconds(2));
}

TEST(ChangeDelay, WithoutJitterIsTheDebounceWhateverTheDraw) {
  for (const double draw : {0.0, 0.5, 0.999}) {
    EXPECT_EQ(change_delay(seconds(2), Duration::zero(), draw), seconds(2));
  }
}

TEST(ChangeDelay, JitterAddsItsShareOfTheDraw) {
  EXPECT_EQ(change_delay(seconds(2), seconds(10), 0.0), seconds(2));
  EXPECT_EQ(change_delay(seconds(2), seconds(10), 0.25), milliseconds(4'500));
  EXPECT_EQ(change_delay(seconds(2), seconds(10), 0.99995), milliseconds(11'999));
}

TEST(ChangeDelay, DrawsOutsideTheUnitIntervalAreClamped) {
  EXPECT_EQ(change_delay(seconds(2), seconds(10), -1.0), seconds(2));
  EXPECT_EQ(change_delay(seconds(2), seconds(10), 1.0), seconds(12));
  EXPECT_EQ(change_delay(seconds(2), seconds(10), 7.0), seconds(12));
}

// Idle clients are kept only when the next pass or poll comes before a connection goes stale.
TEST(KeepIdleClients, OnlyWhenTheNextWakeComesWithinAMinute) {
  EXPECT_TRUE(keep_idle_clients(kMono + seconds(5), kMono)) << "a CNAME poll in 5 s";
  EXPECT_TRUE(keep_idle_clients(kMono + seconds(60), kMono));
  EXPECT_FALSE(keep_idle_clients(kMono + seconds(61), kMono));
  EXPECT_FALSE(keep_idle_clients(kMono + hours(1), kMono)) << "the next rescan";
  EXPECT_FALSE(keep_idle_clients(std::nullopt, kMono)) << "nothing scheduled";
}

}  // namespace
}  // namespace apig_certd::engine::schedule_test
