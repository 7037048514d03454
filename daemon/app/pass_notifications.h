#pragma once

// The notifications of one pass, for `sync` and `run` alike: the changes between the state
// before and after the pass (notify/changes.h) for the targets the pass looked at. What they
// notify is recorded in `after` (expiring: once per certificate) before the caller saves it.
// Nothing when the config has no [[notify]].

#include <vector>

#include "daemon/core/clock.h"
#include "daemon/engine/reconciler.h"
#include "daemon/notify/changes.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::app {

std::vector<notify::Change> take_notifications(const settings::Settings& config,
                                               const state::State& before, state::State& after,
                                               const engine::ReconcileReport& report,
                                               SystemTime now);

}  // namespace apig_certd::app
