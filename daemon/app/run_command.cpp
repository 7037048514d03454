#include "daemon/app/run_command.h"

#include "daemon/app/daemon.h"
#include "daemon/app/exit_code.h"
#include "daemon/app/load_config.h"
#include "daemon/service/log.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

int run_daemon(const CommandLine& line, const Environment& environment, const Clock& clock,
               const Output& output) {
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
