#pragma once

// `apig-certd hook [certbot|lego|acme.sh|dehydrated] [ARGS...]`: the entry point for ACME
// clients' deploy hooks (DESIGN.md §6). Reads the client's conventions (hook_request.h),
// finds the bindings whose certificate lives where the client just wrote, and runs `sync`
// for just those, under the same state lock as the daemon, so a running daemon and the hook
// never bind twice.

#include "daemon/app/command_line.h"
#include "daemon/app/output.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"

namespace apig_certd::app {

// Exit codes: 0 the matched targets are in sync, or no binding uses these files (a notice on
// stderr), or a dehydrated handler that is not deploy_cert; 1 a target failed (the reason on
// stderr, which certbot logs); 2 the client or its variables cannot be made out; 75 the state
// lock is busy; 78 invalid config.
int run_hook(const CommandLine& line, const Environment& environment, const Clock& clock,
             const Output& output);

}  // namespace apig_certd::app
