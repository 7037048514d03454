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
  // One malloc arena for the whole daemon, set before any thread starts. glibc gives each
  // thread that allocates at once its own arena (up to 8 per core), and the memory the pass
  // workers free stays spread over them: with 1,000 bindings the daemon kept 34.8 MiB RSS
  // after its start pass, 27.5 MiB with one arena (scripts/bench.sh, memory). The price is
  // malloc lock contention while workers parse many bundles at once (a first start without a
  // state, a fleet-wide renewal); `sync`, which is short-lived and often does exactly that,
  // keeps glibc's default.
  (void)::mallopt(M_ARENA_MAX, 1);
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
