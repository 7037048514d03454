#include "daemon/app/run_command.h"

#include <malloc.h>

#include "daemon/app/daemon.h"
#include "daemon/app/exit_code.h"
#include "daemon/app/load_config.h"
#include "daemon/service/log.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

namespace {

constexpr int kMallocThreshold = 128 * 1024;

}  // namespace

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
  // Fixed mmap and trim thresholds (glibc's defaults, which it otherwise raises after the
  // first large block is freed, here a 1.6 MiB state file or response): malloc_trim(3) does
  // not shrink the top of a thread arena, only free() does, above the trim threshold; raised
  // to 3 MiB, the worker arena kept up to 2 MiB of free pages resident after a pass, at random.
  // With them, 1,000 bindings in sync keep 8.1 MiB of anonymous memory, not 8.9 to 10.8.
  // NOLINTBEGIN(concurrency-mt-unsafe): no other thread runs yet
  (void)::mallopt(M_ARENA_MAX, 2);
  (void)::mallopt(M_MMAP_THRESHOLD, kMallocThreshold);
  (void)::mallopt(M_TRIM_THRESHOLD, kMallocThreshold);
  // NOLINTEND(concurrency-mt-unsafe)
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
