#pragma once

// `apig-certd run`: the daemon (DESIGN.md §2, §7), in the foreground until SIGTERM.

#include "daemon/app/command_line.h"
#include "daemon/app/output.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"

namespace apig_certd::app {

// Exit codes: 0 after SIGTERM/SIGINT; 78 the config is invalid at start (nothing attempted;
// the unit's RestartPreventExitStatus=78 stops systemd from restarting it in a loop); 1 when
// the daemon cannot set itself up (state directory, event loop) or its loop fails.
int run_daemon(const CommandLine& line, const Environment& environment, const Clock& clock,
               const Output& output);

}  // namespace apig_certd::app
