// The top of the program: turn argv into a CommandLine, set up logging once, dispatch.
//
// This is the only place (with the command files) that prints to the user. Usage errors exit
// 2 with the usage text; commands return their own exit codes (exit_code.h).

#include "daemon/app/main_command.h"

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <pthread.h>
#include <sys/prctl.h>

#include "daemon/app/check_command.h"
#include "daemon/app/command_line.h"
#include "daemon/app/exit_code.h"
#include "daemon/app/hook_command.h"
#include "daemon/app/run_command.h"
#include "daemon/app/status_command.h"
#include "daemon/app/sync_command.h"
#include "daemon/app/version_command.h"
#include "daemon/core/environment.h"
#include "daemon/sys/signal_fd.h"

namespace apig_certd::app {

int main_command(int argc, char** argv) {
  const Environment environment = Environment::from_process();
  std::vector<std::string_view> arguments;
  for (int i = 1; i < argc; ++i) {
    arguments.emplace_back(
        argv[i]);  // NOLINT(cppcoreguidelines-pro-bounds-pointer-arithmetic): argv.
  }
  Result<CommandLine> line = parse_command_line(arguments, environment);
  if (!line) {
    std::fprintf(stderr, "apig-certd: %s\n\n%s", line.error().message().c_str(),
                 usage_text().c_str());
    return kExitUsage;
  }
  if (line->command != Command::Run) {
    // main() blocked these for the daemon's signalfd; every other command is an ordinary
    // program that SIGTERM and Ctrl-C must stop (the state file is written atomically, and
    // a write whose answer was lost is re-read before it is ever sent again).
    const sigset_t signals = sys::daemon_signals();
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  }
  if (line->command != Command::Help && line->command != Command::Version) {
    // Every other command may read a private key, a secret key, a token or a password: no
    // core dumps of this process (whatever `ulimit -c` says), and no ptrace by other
    // processes of the same user. Set before the config or any key is read.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  }
  switch (line->command) {
    case Command::Help:
      std::fputs(usage_text().c_str(), stdout);
      return kExitOk;
    case Command::Version:
      std::fputs(version_text().c_str(), stdout);
      return kExitOk;
    case Command::Check: {
      const SystemClock clock;
      return run_check(*line, environment, clock, Output{});
    }
    case Command::Sync: {
      const SystemClock clock;
      return run_sync(*line, environment, clock, Output{});
    }
    case Command::Status: {
      const SystemClock clock;
      return run_status(*line, environment, clock, Output{});
    }
    case Command::Run: {
      const SystemClock clock;
      return run_daemon(*line, environment, clock, Output{});
    }
    case Command::Hook: {
      const SystemClock clock;
      return run_hook(*line, environment, clock, Output{});
    }
  }
  return kExitUsage;
}

}  // namespace apig_certd::app
