#pragma once

// `apig-certd check [--online]`: validates the config and every binding's files without
// touching anything, one line per target on stdout (OK, or FAIL with what is wrong).

#include "daemon/app/command_line.h"
#include "daemon/app/output.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"

namespace apig_certd::app {

// Returns kExitOk when every target is valid, kExitFailed when one is not (or credentials
// are unusable), kExitConfig when the config itself is invalid (nothing else is checked).
int run_check(const CommandLine& line, const Environment& environment, const Clock& clock,
              const Output& output);

}  // namespace apig_certd::app
