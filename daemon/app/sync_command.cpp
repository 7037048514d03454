// `apig-certd sync`.
//
// The order matters for safety: the config is loaded (78 if invalid), the named bindings are
// checked to exist (2), the state lock is taken (75 after --lock-timeout), the state is
// loaded (a corrupt file is moved aside and rebuilt from the remote, with one notice), the
// pass runs, and the state is saved before anything is printed, so an interrupted terminal
// never loses an outcome. --dry-run takes no lock and writes nothing at all, not even the
// state directory: it reads the state file if there is one and prints the plan.
//
// stdout: one line per target, "<result>: binding 'NAME' -> DOMAIN (group G): <detail>",
// results "bound", "in sync", "resolving", "failed" ("would bind", "would update" with
// --dry-run). stderr: warnings, notices, and the summary with the number of API requests.

#include "daemon/app/sync_command.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "daemon/app/apig_session.h"
#include "daemon/app/exit_code.h"
#include "daemon/app/load_config.h"
#include "daemon/app/metrics.h"
#include "daemon/app/pass_notifications.h"
#include "daemon/core/duration.h"
#include "daemon/engine/reconciler.h"
#include "daemon/notify/dispatcher.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state_store.h"

namespace apig_certd::app {

namespace {

// --dry-run: the state as it is on disk, without creating, locking or moving anything.
state::State read_state_readonly(const settings::Settings& config, const Output& output) {
  Result<state::State> current = state::read_state_file(config.daemon.state_dir / "state.json");
  if (current) {
    return std::move(*current);
  }
  if (current.error().code() == ErrorCode::ParseError) {
    print_line(output.err, "notice: the state file is corrupt (" + current.error().to_string() +
                               "); planning from the remote only (a real sync moves it aside)");
  } else if (current.error().code() != ErrorCode::NotFound) {
    print_line(output.err, "notice: cannot read the state file (" + current.error().to_string() +
                               "); planning from the remote only");
  }
  return {};
}

std::string summary(const engine::ReconcileReport& report, bool dry_run) {
  int bound = 0;
  int in_sync = 0;
  int resolving = 0;
  int would = 0;
  for (const engine::TargetOutcome& outcome : report.outcomes) {
    bound += outcome.result == state::TargetResult::Bound ? 1 : 0;
    in_sync += outcome.result == state::TargetResult::InSync ? 1 : 0;
    resolving += outcome.result == state::TargetResult::Resolving ? 1 : 0;
    would += outcome.result == state::TargetResult::WouldBind ||
                     outcome.result == state::TargetResult::WouldUpdate
                 ? 1
                 : 0;
  }
  const int failed = static_cast<int>(std::count_if(
      report.outcomes.begin(), report.outcomes.end(),
      [](const engine::TargetOutcome& outcome) { return state::is_failure(outcome.result); }));
  std::string text = std::string(dry_run ? "sync --dry-run: " : "sync: ") +
                     std::to_string(report.outcomes.size()) + " target(s): ";
  if (dry_run) {
    text += std::to_string(would) + " to write, " + std::to_string(in_sync) + " in sync, " +
            std::to_string(failed) + " failed";
  } else {
    text += std::to_string(bound) + " bound, " + std::to_string(in_sync) + " in sync, " +
            std::to_string(resolving) + " resolving, " + std::to_string(failed) + " failed";
  }
  text += " (" + std::to_string(report.requests) + " API requests, " +
          std::to_string(report.writes) + " writes)";
  return text;
}

// How long `sync` waits for its notifications before it gives up on them and exits.
constexpr Duration kDeliveryPatience = std::chrono::seconds(5);

// Sends the notifications of the pass and waits (bounded) for them: a webhook that is down
// costs at most kDeliveryPatience and a warning, never the exit code.
void deliver(const settings::Settings& config, const Environment& environment,
             const std::vector<notify::Change>& changes, SystemTime now, const Output& output) {
  // Called from the webhooks' threads: one fputs per line, so lines never interleave.
  const notify::Report report = [&output](settings::LogLevel level, const std::string& message) {
    if (level >= settings::LogLevel::Warn) {
      std::fputs(("warning: " + message + "\n").c_str(), output.err);
    }
  };
  Result<std::unique_ptr<notify::Dispatcher>> dispatcher =
      notify::Dispatcher::create(config, environment, report);
  if (!dispatcher) {
    print_line(output.err, "warning: cannot send notifications: " + dispatcher.error().to_string() +
                               "; ignoring");
    return;
  }
  if ((*dispatcher)->send(changes, now) == 0) {
    return;
  }
  if (const std::size_t left = (*dispatcher)->finish(kDeliveryPatience); left > 0) {
    print_line(output.err, "warning: " + std::to_string(left) +
                               " notification(s) still undelivered after " +
                               format_duration(kDeliveryPatience) + "; giving up");
  }
}

// The state a sync works on. A dry run reads state.json and has neither store nor lock; a sync
// opens the store and loads the state under its lock, held until the state is saved.
struct SyncState {
  std::optional<state::StateStore> store;
  std::optional<sys::FileLock> lock;
  state::State current;
};

// Fails with Timeout when another apig-certd holds the lock too long.
Result<SyncState> open_state(const settings::Settings& config, const CommandLine& line,
                             const Clock& clock, const Output& output) {
  SyncState opened;
  if (line.dry_run) {
    opened.current = read_state_readonly(config, output);
    return opened;
  }
  Result<state::StateStore> store = state::StateStore::open(config.daemon.state_dir, clock);
  if (!store) {
    return fail(std::move(store.error()));
  }
  opened.store.emplace(std::move(*store));
  Result<sys::FileLock> lock = opened.store->lock(line.lock_timeout);
  if (!lock) {
    return fail(std::move(lock.error()));
  }
  opened.lock.emplace(std::move(*lock));
  Result<state::LoadedState> loaded = opened.store->load();
  if (!loaded) {
    return fail(std::move(loaded.error()));
  }
  if (loaded->moved_aside) {
    print_line(output.err, "notice: the state file was unusable (" + loaded->problem +
                               "); moved it aside to '" + loaded->moved_aside->string() +
                               "' and rebuilding the state from APIG");
  }
  opened.current = std::move(loaded->state);
  return opened;
}

// Whether every binding named on the command line is configured; prints the first that is not.
bool bindings_known(const settings::Settings& config, const CommandLine& line,
                    const Output& output) {
  for (const std::string& name : line.bindings) {
    const bool known =
        std::any_of(config.bindings.begin(), config.bindings.end(),
                    [&](const settings::BindingSettings& b) { return b.name == name; });
    if (!known) {
      std::string names;
      for (const settings::BindingSettings& binding : config.bindings) {
        names += names.empty() ? "" : ", ";
        names += binding.name;
      }
      print_line(output.err, "apig-certd: no binding named '" + name + "' in '" +
                                 line.config.string() + "' (bindings: " + names + ")");
      return false;
    }
  }
  return true;
}

void print_outcomes(const engine::ReconcileReport& report, const Output& output) {
  for (const engine::TargetOutcome& outcome : report.outcomes) {
    for (const std::string& warning : outcome.warnings) {
      print_line(output.err, "warning: binding '" + outcome.binding + "' -> " + outcome.target +
                                 ": " + warning);
    }
    print_line(output.out, std::string(state::words(outcome.result)) + ": binding '" +
                               outcome.binding + "' -> " + outcome.target + " (group " +
                               outcome.group_id + "): " + outcome.detail);
  }
  std::fflush(output.out);
}

}  // namespace

int run_sync(const CommandLine& line, const Environment& environment, const Clock& clock,
             const Output& output) {
  std::optional<settings::Settings> config =
      load_config_or_report(line, environment, output, "; nothing was attempted");
  if (!config) {
    return kExitConfig;
  }
  return run_sync_with(*config, line, environment, clock, output);
}

int run_sync_with(const settings::Settings& config, const CommandLine& line,
                  const Environment& environment, const Clock& clock, const Output& output) {
  for (const std::string& warning : config.warnings) {
    print_line(output.err, "warning: " + warning);
  }
  if (!bindings_known(config, line, output)) {
    return kExitUsage;
  }

  Result<SyncState> opened = open_state(config, line, clock, output);
  if (!opened) {
    print_line(output.err, "apig-certd: " + opened.error().to_string());
    return opened.error().code() == ErrorCode::Timeout ? kExitTempFail : kExitFailed;
  }
  std::optional<state::StateStore>& store = opened->store;
  state::State& current = opened->current;

  Result<std::unique_ptr<ApigSession>> session = ApigSession::create(config, environment, clock);
  if (!session) {
    print_line(output.err, "apig-certd: " + session.error().to_string());
    return kExitFailed;
  }
  engine::Reconciler reconciler(
      config, [&session] { return (*session)->make_client(); }, clock);
  engine::ReconcileOptions options;
  options.plan = {engine::PlanMode::Sync, line.force};
  options.dry_run = line.dry_run;
  options.wait_for_cname = !line.no_wait;
  options.bindings = line.bindings;
  // --force and a deploy hook read every file afresh: an operator forcing a bind expects the
  // files looked at, and a hook runs because they changed. A plain sync (the timer unit's)
  // takes unchanged bundles' facts from the state's cache; either way a write parses first.
  options.bundles = line.force || line.command == Command::Hook
                        ? engine::BundleSource::Files
                        : engine::BundleSource::CacheWhenUnchanged;
  std::optional<state::State> before;
  if (store && !config.notify.empty()) {
    before = current;
  }
  Result<engine::ReconcileReport> report = reconciler.run(current, options);
  if (!report) {
    print_line(output.err, "apig-certd: " + report.error().to_string());
    return kExitFailed;
  }
  std::vector<notify::Change> changes;
  if (before) {
    changes = take_notifications(config, *before, current, *report, clock.now());
  }
  bool saved = true;
  if (store) {
    Result<void> save = store->save(current);
    if (!save) {
      print_line(output.err, "apig-certd: cannot save the state: " + save.error().to_string() +
                                 "; the next run re-reads APIG, so nothing is bound twice");
      saved = false;
    }
    if (Result<void> metrics =
            write_metrics(config, current, !report->remote_unreadable, clock.now());
        !metrics) {
      print_line(output.err,
                 "warning: cannot write the metrics file: " + metrics.error().to_string());
    }
  }
  print_outcomes(*report, output);
  if (!changes.empty()) {
    deliver(config, environment, changes, clock.now(), output);
  }
  print_line(output.err, summary(*report, line.dry_run));
  if (line.dry_run) {
    return report->remote_unreadable ? kExitFailed : kExitOk;
  }
  return report->failed() == 0 && saved ? kExitOk : kExitFailed;
}

}  // namespace apig_certd::app
