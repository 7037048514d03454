#pragma once

// `apig-certd status [--json]`: what the state file says about every configured target.

#include "daemon/app/command_line.h"
#include "daemon/app/output.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"

namespace apig_certd::app {

// Exit codes: 0 every configured target's last result is "bound" or "in sync"; 1 otherwise
// (failed, resolving, never synced) or the state file cannot be read; 78 invalid config.
int run_status(const CommandLine& line, const Environment& environment, const Clock& clock,
               const Output& output);

}  // namespace apig_certd::app
