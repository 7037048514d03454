#pragma once

// `apig-certd sync [--binding NAME]... [--dry-run] [--force] [--no-wait]`: one reconcile
// pass over all (or the named) bindings, under the state lock, then exit (DESIGN.md §2).

#include "daemon/app/command_line.h"
#include "daemon/app/output.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

// Exit codes: 0 every requested target in sync (bound and CNAME resolved, or bound with
// --no-wait); 1 a target failed or is still resolving (or, with --dry-run, the plan could
// not be computed); 2 an unknown --binding; 75 the state lock is busy; 78 invalid config.
int run_sync(const CommandLine& line, const Environment& environment, const Clock& clock,
             const Output& output);

// The same with the config already loaded (`hook` has read it to find the bindings).
int run_sync_with(const settings::Settings& config, const CommandLine& line,
                  const Environment& environment, const Clock& clock, const Output& output);

}  // namespace apig_certd::app
