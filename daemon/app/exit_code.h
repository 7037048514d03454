#pragma once

// The exit codes of DESIGN.md §2: the contract with scripts, systemd and acceptance tests.

namespace apig_certd::app {

enum ExitCode : int {
  kExitOk = 0,         // All requested targets in sync / valid.
  kExitFailed = 1,     // At least one target failed; the message says which and why.
  kExitUsage = 2,      // Bad command line.
  kExitTempFail = 75,  // EX_TEMPFAIL: another apig-certd holds the state lock.
  kExitConfig = 78,    // EX_CONFIG: the config is invalid; nothing was attempted.
};

}  // namespace apig_certd::app
