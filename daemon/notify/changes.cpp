#include "daemon/notify/changes.h"

namespace apig_certd::notify {

namespace {

bool is_ok(const state::TargetState& target) {
  return target.last_result && state::is_serving(*target.last_result);
}

bool is_failing(const state::TargetState& target) {
  return target.last_result == state::TargetResult::Failed ||
         target.last_result == state::TargetResult::Invalid ||
         target.last_result == state::TargetResult::Refused;
}

bool same_failure(const state::TargetState& a, const state::TargetState& b) {
  const std::string code_a = a.last_error ? a.last_error->code : "";
  const std::string code_b = b.last_error ? b.last_error->code : "";
  // A pass that finds a target waiting out its backoff leaves its state as it was. State
  // files written before this was fixed recorded such a pass as failed with the code "wait":
  // the next real attempt after one is not a different failure either.
  const bool waited = code_a == "wait" || code_b == "wait";
  return a.last_result == b.last_result && (waited || code_a == code_b) &&
         a.failed_sha256 == b.failed_sha256 && a.disk_sha256 == b.disk_sha256;
}

Change bound_change(NotifyEvent event, const std::string& key, const state::TargetState& after) {
  return {event, key, after, after.bound_sha256, after.bound_not_after, after.bound_name};
}

Change disk_change(NotifyEvent event, const std::string& key, const state::TargetState& after) {
  const std::string& sha256 = after.failed_sha256.empty() ? after.disk_sha256 : after.failed_sha256;
  return {event,
          key,
          after,
          sha256,
          after.disk_not_after,
          sha256 == after.bound_sha256 ? after.bound_name : ""};
}

void add_changes(const std::string& key, const state::TargetState* before,
                 const state::TargetState& after, SystemTime now, Duration renew_warning,
                 std::vector<Change>& changes) {
  const bool wrote = after.bind_successes > (before != nullptr ? before->bind_successes : 0);
  const bool rebound_ours = wrote && before != nullptr && !before->bound_sha256.empty() &&
                            before->bound_sha256 == after.bound_sha256;
  const bool entered_drift =
      after.last_result == state::TargetResult::Drift &&
      (before == nullptr || before->last_result != state::TargetResult::Drift);
  if (entered_drift) {
    changes.push_back(disk_change(NotifyEvent::Drift, key, after));
  } else if (rebound_ours) {
    changes.push_back(bound_change(NotifyEvent::Drift, key, after));
  }
  if (wrote) {
    changes.push_back(bound_change(NotifyEvent::Bound, key, after));
  }
  const bool was_failing = before != nullptr && (is_failing(*before) ||
                                                 before->last_result == state::TargetResult::Drift);
  if (was_failing && is_ok(after)) {
    changes.push_back(bound_change(NotifyEvent::Recovered, key, after));
  }
  if (is_failing(after) &&
      (before == nullptr || !is_failing(*before) || !same_failure(*before, after))) {
    changes.push_back(disk_change(NotifyEvent::Failed, key, after));
  }
  if (after.disk_not_after && !after.disk_sha256.empty() &&
      after.expiring_sha256 != after.disk_sha256 && *after.disk_not_after - now <= renew_warning) {
    Change change{NotifyEvent::Expiring,
                  key,
                  after,
                  after.disk_sha256,
                  after.disk_not_after,
                  after.disk_sha256 == after.bound_sha256 ? after.bound_name : ""};
    changes.push_back(std::move(change));
  }
}

}  // namespace

std::vector<Change> detect_changes(const state::State& before, const state::State& after,
                                   const std::vector<std::string>& keys, SystemTime now,
                                   Duration renew_warning) {
  std::vector<Change> changes;
  for (const std::string& key : keys) {
    const auto found = after.targets.find(key);
    if (found == after.targets.end()) {
      continue;
    }
    const auto previous = before.targets.find(key);
    add_changes(key, previous == before.targets.end() ? nullptr : &previous->second, found->second,
                now, renew_warning, changes);
  }
  return changes;
}

void remember_notified(state::State& state, const std::vector<Change>& changes) {
  for (const Change& change : changes) {
    if (change.event != NotifyEvent::Expiring) {
      continue;
    }
    if (const auto found = state.targets.find(change.key); found != state.targets.end()) {
      found->second.expiring_sha256 = change.sha256;
    }
  }
}

}  // namespace apig_certd::notify
