#include "daemon/app/run_command.h"

#include <malloc.h>

#include "daemon/app/daemon.h"
#include "daemon/app/exit_code.h"
#include "daemon/app/load_config.h"
#include "daemon/service/log.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

int run_daemon(const CommandLine& line, const Environment& environment, const Clock& clock,
               const Output& output) {
  // Two malloc arenas for the whole daemon, set before any thread starts. glibc gives each
  // thread that allocates at once its own arena (up to 8 per core), and the memory the pass
  // workers free stays spread over them: with 1,000 bindings the daemon kept 34.8 MiB RSS
  // after its start pass, 27.5 MiB with one arena and 27.2 MiB with two (scripts/bench.sh,
  // memory). One was too few: the start reads the state on a thread of its own while the main
  // thread loads the CA certificates and sets up the watches, and both allocate all the time;
  // sharing one arena's lock, a start with 1,000 bindings took 350 ms of CPU and 255 ms
  // (without the remote reads) to READY=1, with two 305 and 205. `sync`, which is short-lived
  // and parses many bundles at once, keeps glibc's default.
  (void)::mallopt(M_ARENA_MAX, 2);  // NOLINT(concurrency-mt-unsafe): no other thread runs yet
  std::optional<settings::Settings> config =
      load_config_or_report(line, environment, output, "; nothing was attempted");
  if (!config) {
    return kExitConfig;
  }
  const std::unique_ptr<service::Log> log =
      service::make_log(environment, config->daemon.log_level, clock);
  for (const std::string& warning : config->warnings) {
    log->write(service::LogLevel::Warn, warning);
  }
  Result<std::unique_ptr<Daemon>> daemon =
      Daemon::create(line.config, std::move(*config), environment, clock, *log);
  if (!daemon) {
    log->write(service::LogLevel::Error, "cannot start: " + daemon.error().to_string());
    return kExitFailed;
  }
  return (*daemon)->run();
}

}  // namespace apig_certd::app
