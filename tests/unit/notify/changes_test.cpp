#include "daemon/notify/changes.h"

#include <gtest/gtest.h>

#include "daemon/core/time_format.h"

namespace apig_certd::notify::changes_test {
namespace {

using std::chrono::hours;

constexpr const char* kKey = "site/i1/g1/www.example.com";

SystemTime at(const char* text) {
  return *parse_utc_iso8601(text);
}

const SystemTime kNow = at("2027-01-01T00:00:00Z");
const Duration kWarning = hours(24 * 21);

state::TargetState in_sync(const std::string& sha256 = "aaaa") {
  state::TargetState target;
  target.binding = "site";
  target.instance_id = "i1";
  target.group_id = "g1";
  target.domain = "www.example.com";
  target.disk_sha256 = sha256;
  target.disk_not_after = kNow + hours(24 * 80);
  target.bound_sha256 = sha256;
  target.bound_name = "site_20270322_" + sha256;
  target.bound_not_after = target.disk_not_after;
  target.last_result = state::TargetResult::InSync;
  target.bind_successes = 1;
  return target;
}

state::TargetState failing(state::TargetState target, const std::string& code,
                           const std::string& result = "failed") {
  target.last_result = state::parse_target_result(result);
  target.last_error = state::LastError{code, "it went wrong", kNow};
  target.failed_sha256 = target.disk_sha256;
  ++target.consecutive_failures;
  return target;
}

state::State state_of(std::optional<state::TargetState> target) {
  state::State state;
  if (target) {
    state.targets[kKey] = std::move(*target);
  }
  return state;
}

std::vector<NotifyEvent> events(const std::optional<state::TargetState>& before,
                                const state::TargetState& after, SystemTime now = kNow) {
  std::vector<NotifyEvent> found;
  for (const Change& change :
       detect_changes(state_of(before), state_of(after), {kKey}, now, kWarning)) {
    found.push_back(change.event);
  }
  return found;
}

using Events = std::vector<NotifyEvent>;

TEST(NotifyChanges, NothingWhileInSync) {
  EXPECT_EQ(events(in_sync(), in_sync()), Events{});
}

TEST(NotifyChanges, FirstBindIsBound) {
  state::TargetState after = in_sync();
  after.last_result = state::TargetResult::Bound;
  const std::vector<Change> changes =
      detect_changes(state::State{}, state_of(after), {kKey}, kNow, kWarning);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].event, NotifyEvent::Bound);
  EXPECT_EQ(changes[0].sha256, "aaaa");
  EXPECT_EQ(changes[0].certificate_name, after.bound_name);
  EXPECT_EQ(changes[0].not_after, after.bound_not_after);
}

TEST(NotifyChanges, RenewalIsBound) {
  state::TargetState after = in_sync("bbbb");
  after.bind_successes = 2;
  after.last_result = state::TargetResult::Resolving;
  EXPECT_EQ(events(in_sync("aaaa"), after), Events{NotifyEvent::Bound});
}

TEST(NotifyChanges, StateRebuiltFromTheRemoteIsNotABind) {
  state::TargetState after = in_sync();
  after.bind_successes = 0;
  EXPECT_EQ(events(std::nullopt, after), Events{});
}

TEST(NotifyChanges, FailureIsNotifiedOnceThenRecovery) {
  const state::TargetState first = failing(in_sync(), "Unavailable");
  EXPECT_EQ(events(in_sync(), first), Events{NotifyEvent::Failed});
  // Retries failing the same way are not new events.
  EXPECT_EQ(events(first, failing(first, "Unavailable")), Events{});
  EXPECT_EQ(events(first, in_sync()), Events{NotifyEvent::Recovered});
}

TEST(NotifyChanges, AFailureOfAnotherKindIsNew) {
  const state::TargetState first = failing(in_sync(), "Unavailable");
  EXPECT_EQ(events(first, failing(in_sync(), "APIG.2101")), Events{NotifyEvent::Failed});
  EXPECT_EQ(events(first, failing(in_sync(), "invalid", "invalid")), Events{NotifyEvent::Failed});
  state::TargetState other_certificate = failing(in_sync("bbbb"), "Unavailable");
  EXPECT_EQ(events(first, other_certificate), Events{NotifyEvent::Failed});
}

TEST(NotifyChanges, WaitingOutABackoffIsNotANewFailure) {
  const state::TargetState first = failing(in_sync(), "APIG.2101");
  const state::TargetState waiting = failing(first, "wait");
  EXPECT_EQ(events(first, waiting), Events{});
  EXPECT_EQ(events(waiting, failing(waiting, "APIG.2101")), Events{});
  // A new certificate failing is news, waiting or not.
  EXPECT_EQ(events(waiting, failing(in_sync("bbbb"), "APIG.2101")), Events{NotifyEvent::Failed});
}

TEST(NotifyChanges, AFirstPassThatFailsIsFailed) {
  state::TargetState never_bound = failing(in_sync(), "invalid", "invalid");
  never_bound.bind_successes = 0;
  EXPECT_EQ(events(std::nullopt, never_bound), Events{NotifyEvent::Failed});
}

TEST(NotifyChanges, RecoveryByABindIsBoundAndRecovered) {
  state::TargetState after = in_sync("bbbb");
  after.bind_successes = 2;
  after.last_result = state::TargetResult::Bound;
  EXPECT_EQ(events(failing(in_sync(), "APIG.2101"), after),
            (Events{NotifyEvent::Bound, NotifyEvent::Recovered}));
}

TEST(NotifyChanges, ReportedDriftOnceThenRecovered) {
  const state::TargetState drift = failing(in_sync(), "drift", "drift");
  EXPECT_EQ(events(in_sync(), drift), Events{NotifyEvent::Drift});
  EXPECT_EQ(events(drift, drift), Events{});
  EXPECT_EQ(events(drift, in_sync()), Events{NotifyEvent::Recovered});
}

TEST(NotifyChanges, RepairedDriftIsDriftAndBound) {
  state::TargetState after = in_sync();
  after.bind_successes = 2;
  after.last_result = state::TargetResult::Bound;
  const std::vector<Change> changes =
      detect_changes(state_of(in_sync()), state_of(after), {kKey}, kNow, kWarning);
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[0].event, NotifyEvent::Drift);
  EXPECT_EQ(changes[0].sha256, "aaaa");
  EXPECT_EQ(changes[1].event, NotifyEvent::Bound);
}

TEST(NotifyChanges, ExpiringOncePerCertificate) {
  state::TargetState expiring = in_sync();
  expiring.disk_not_after = kNow + hours(24 * 20);
  std::vector<Change> changes =
      detect_changes(state_of(in_sync()), state_of(expiring), {kKey}, kNow, kWarning);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].event, NotifyEvent::Expiring);
  EXPECT_EQ(changes[0].not_after, expiring.disk_not_after);

  state::State after = state_of(expiring);
  remember_notified(after, changes);
  EXPECT_EQ(after.targets.at(kKey).expiring_sha256, "aaaa");
  // The next passes (and a restart: the marker is in the state) stay quiet.
  EXPECT_TRUE(detect_changes(after, after, {kKey}, kNow + hours(24), kWarning).empty());

  // A renewal on disk that is not bound yet is not expiring; the old one was notified.
  state::TargetState renewed = after.targets.at(kKey);
  renewed.disk_sha256 = "bbbb";
  renewed.disk_not_after = kNow + hours(24 * 90);
  EXPECT_TRUE(detect_changes(after, state_of(renewed), {kKey}, kNow, kWarning).empty());
}

TEST(NotifyChanges, OutsideTheWarningWindowIsNotExpiring) {
  state::TargetState target = in_sync();
  target.disk_not_after = kNow + kWarning + hours(1);
  EXPECT_EQ(events(target, target), Events{});
  EXPECT_EQ(events(target, target, kNow + hours(2)), Events{NotifyEvent::Expiring});
}

TEST(NotifyChanges, OnlyTheTargetsOfThePass) {
  state::TargetState after = in_sync();
  after.bind_successes = 2;
  EXPECT_TRUE(detect_changes(state_of(in_sync()), state_of(after), {}, kNow, kWarning).empty());
  EXPECT_TRUE(
      detect_changes(state_of(in_sync()), state_of(after), {"other"}, kNow, kWarning).empty());
}

}  // namespace
}  // namespace apig_certd::notify::changes_test
