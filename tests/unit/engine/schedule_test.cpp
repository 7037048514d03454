#include "daemon/engine/schedule.h"

#include <gtest/gtest.h>

namespace apig_certd::engine::schedule_test {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const SystemTime kScheduleNow = SystemTime(hours(24 * 365 * 56));

settings::Settings two_bindings() {
  settings::Settings config;
  for (const char* name : {"a", "b"}) {
    settings::BindingSettings binding;
    binding.name = name;
    binding.targets.push_back(
        {"i", "g", std::string(name) + ".example.com", "", false, "", "", 443, {}});
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
  target.disk_not_after = kScheduleNow + hours(24 * 60);
  return target;
}

struct Fixture {
  settings::Settings config = two_bindings();
  state::State state;
  ScheduleInput input;

  Fixture() {
    state.targets["a/i/g/a.example.com"] = target_of("a");
    state.targets["b/i/g/b.example.com"] = target_of("b");
    input.settings = &config;
    input.state = &state;
    input.now = kScheduleNow;
    input.next_rescan = kScheduleNow + hours(1);
    input.last_pass = {{"a", kScheduleNow - minutes(1)}, {"b", kScheduleNow - minutes(1)}};
  }
};

TEST(Schedule, NothingDueSleepsUntilTheRescan) {
  Fixture f;
  const Schedule result = schedule(f.input);
  EXPECT_TRUE(result.due.empty());
  EXPECT_FALSE(result.rescan);
  ASSERT_TRUE(result.next);
  EXPECT_EQ(*result.next, kScheduleNow + hours(1));
  EXPECT_EQ(result.next_reason, "rescan");
}

TEST(Schedule, RescanMakesEveryBindingDue) {
  Fixture f;
  f.input.next_rescan = kScheduleNow;
  const Schedule result = schedule(f.input);
  EXPECT_TRUE(result.rescan);
  EXPECT_EQ(result.due, (std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(result.files.empty());
}

TEST(Schedule, FileChangeIsDueOnlyAfterItsDebounce) {
  Fixture f;
  f.input.file_changes = {{"a", kScheduleNow + seconds(2)}};
  Schedule result = schedule(f.input);
  EXPECT_TRUE(result.due.empty());
  EXPECT_EQ(*result.next, kScheduleNow + seconds(2));
  EXPECT_EQ(result.next_reason, "file change of 'a'");

  f.input.now = kScheduleNow + seconds(2);
  result = schedule(f.input);
  EXPECT_EQ(result.due, std::set<std::string>{"a"});
  EXPECT_EQ(result.files, std::set<std::string>{"a"});
}

TEST(Schedule, FileChangesOfUnknownBindingsAreIgnored) {
  Fixture f;
  f.input.file_changes = {{"gone", kScheduleNow - seconds(1)}};
  EXPECT_TRUE(schedule(f.input).due.empty());
}

TEST(Schedule, RetryIsDueAtNextAttempt) {
  Fixture f;
  f.state.targets["b/i/g/b.example.com"].next_attempt = kScheduleNow + seconds(40);
  Schedule result = schedule(f.input);
  EXPECT_EQ(*result.next, kScheduleNow + seconds(40));
  EXPECT_EQ(result.next_reason, "retry of 'b'");
  f.input.now = kScheduleNow + seconds(41);
  result = schedule(f.input);
  EXPECT_EQ(result.due, std::set<std::string>{"b"});
}

TEST(Schedule, ResolvingCnameIsPolledEveryIntervalUntilPollTimeout) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.cname_status = 2;
  a.last_result = state::TargetResult::Resolving;
  a.bound_at = kScheduleNow - minutes(1);
  f.input.last_pass["a"] = kScheduleNow - seconds(2);
  Schedule result = schedule(f.input);
  EXPECT_EQ(*result.next, kScheduleNow + seconds(3));
  EXPECT_EQ(result.next_reason, "CNAME poll of 'a'");

  a.bound_at = kScheduleNow - minutes(11);  // poll.timeout passed: only the rescan checks again
  result = schedule(f.input);
  EXPECT_EQ(result.next_reason, "rescan");
}

TEST(Schedule, ExpiryEdgesWakeTheDaemonOnce) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.disk_not_after = kScheduleNow + hours(24 * 21) + minutes(30);  // enters renew_warning in 30 min
  Schedule result = schedule(f.input);
  EXPECT_EQ(*result.next, kScheduleNow + minutes(30));
  EXPECT_EQ(result.next_reason, "renew_warning of 'a'");

  // After a pass past the edge, the next edge is the expiry itself (beyond the rescan here).
  f.input.now = kScheduleNow + minutes(31);
  f.input.last_pass["a"] = kScheduleNow + minutes(31);
  f.input.next_rescan = kScheduleNow + hours(48 * 24);
  result = schedule(f.input);
  EXPECT_TRUE(result.due.empty());
  EXPECT_EQ(*result.next, *a.disk_not_after);
  EXPECT_EQ(result.next_reason, "expiry of 'a'");
}

TEST(Schedule, PendingFileChangeHoldsOtherReasonsUntilItsDebounceEnds) {
  Fixture f;
  state::TargetState& a = f.state.targets["a/i/g/a.example.com"];
  a.cname_status = 1;
  a.bound_at = kScheduleNow - seconds(1);
  f.input.last_pass["a"] = kScheduleNow - seconds(1);  // a CNAME poll is due now
  f.input.next_rescan = kScheduleNow;                  // and the rescan
  f.input.file_changes = {{"a", kScheduleNow + seconds(2)}};
  Schedule result = schedule(f.input);
  EXPECT_TRUE(result.rescan);
  EXPECT_EQ(result.due, std::set<std::string>{"b"});
  f.input.now = kScheduleNow + seconds(2);
  result = schedule(f.input);
  EXPECT_TRUE(result.due.contains("a"));
  EXPECT_TRUE(result.files.contains("a"));
}

TEST(Schedule, StateOfBindingsNoLongerConfiguredIsIgnored) {
  Fixture f;
  state::TargetState old = target_of("removed");
  old.next_attempt = kScheduleNow - seconds(1);
  f.state.targets["removed/i/g/x"] = old;
  EXPECT_TRUE(schedule(f.input).due.empty());
}

TEST(Schedule, EarliestDeadlineWins) {
  Fixture f;
  f.state.targets["b/i/g/b.example.com"].next_attempt = kScheduleNow + seconds(40);
  f.input.file_changes = {{"a", kScheduleNow + seconds(2)}};
  const Schedule result = schedule(f.input);
  EXPECT_EQ(*result.next, kScheduleNow + seconds(2));
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

}  // namespace
}  // namespace apig_certd::engine::schedule_test
