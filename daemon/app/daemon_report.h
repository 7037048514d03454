#pragma once

// What the daemon says about its passes: the log lines of a pass (with their journald
// fields) and the one-line STATUS= summary. Pure functions of the settings, the state and
// the pass report, so they are tested without a daemon.

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/engine/reconciler.h"
#include "daemon/service/log.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::app {

struct LogLine {
  service::LogLevel level = service::LogLevel::Info;
  std::string message;
  std::vector<service::LogField> fields;
};

// One line per target whose result changed (or that failed, or was written), at info for
// good news, warning for expiry warnings, error for failures; "still in sync" only at debug.
// `before` is the state the pass started from, `after` the state it recorded.
std::vector<LogLine> describe_pass(const engine::ReconcileReport& report,
                                   const state::State& before, const state::State& after);

// "12 targets: 11 in sync, 1 resolving; 1 expiring; next check 14:05 UTC".
std::string status_line(const settings::Settings& config, const state::State& state,
                        std::optional<SystemTime> next, SystemTime now);

}  // namespace apig_certd::app
