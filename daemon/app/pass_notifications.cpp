#include "daemon/app/pass_notifications.h"

namespace apig_certd::app {

std::vector<notify::Change> take_notifications(const settings::Settings& config,
                                               const state::State& before, state::State& after,
                                               const engine::ReconcileReport& report,
                                               SystemTime now) {
  if (config.notify.empty()) {
    return {};
  }
  std::vector<std::string> keys;
  keys.reserve(report.outcomes.size());
  for (const engine::TargetOutcome& outcome : report.outcomes) {
    keys.push_back(outcome.key);
  }
  std::vector<notify::Change> changes =
      notify::detect_changes(before, after, keys, now, config.daemon.renew_warning);
  notify::remember_notified(after, changes);
  return changes;
}

}  // namespace apig_certd::app
