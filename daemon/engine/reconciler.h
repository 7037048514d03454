#pragma once

// The reconciler: one pass of DESIGN.md §4 with real I/O. Observe (load each binding's
// bundle once, or take its facts from the bundle cache; read each API group once), plan
// (plan.h, pure), execute the writes with at most `daemon.concurrency` requests in flight,
// poll the CNAME status until resolved, and record every outcome in the state, then delete
// superseded certificates (cleanup.h). A pass over every binding also drops the bundle cache
// entries of bindings no longer configured. The caller holds the state lock and saves the
// state.

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "daemon/apig/client.h"
#include "daemon/cert/key_decoders.h"
#include "daemon/core/clock.h"
#include "daemon/core/stop_signal.h"
#include "daemon/engine/bundle_cache.h"
#include "daemon/engine/plan.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

struct ReconcileOptions {
  PlanOptions plan;
  bool dry_run = false;        // Observe and plan only: no write anywhere.
  bool wait_for_cname = true;  // Poll the CNAME status after binding (sync --no-wait: false).
  // The daemon: no polling inside the pass (the scheduler comes back every poll.interval);
  // an unresolved CNAME is reported as "resolving", not as "not checked".
  bool cname_polled_later = false;
  std::vector<std::string> bindings;  // Only these bindings; empty = all.
  // Where the bundles' facts come from (bundle_cache.h). Files: parse every bundle. Either way
  // the pass refreshes the Reconciler's cache, and writes always use freshly parsed files.
  BundleSource bundles = BundleSource::Files;
  // The daemon's shutdown: once requested, backoff and poll sleeps end at once and no new
  // request is started (requests in flight finish). Null: never stopped.
  StopSignal* stop = nullptr;
  // How long the pass keeps retrying transient failures (default poll.timeout). The daemon
  // keeps its passes short and retries on its own schedule (next_attempt) instead.
  std::optional<Duration> retry_deadline;
};

// What happened to one target, as the user sees it.
struct TargetOutcome {
  std::string key;
  std::string binding;
  std::string target;  // the domain, or "domain_id X"
  std::string group_id;
  // "bound", "in sync", "failed", "resolving"; with --dry-run: "would bind", "would update",
  // "in sync", "failed".
  std::string result;
  std::string detail;  // why, or what is bound now
  std::vector<std::string> warnings;
  bool ok = false;  // counts towards exit 0
  int deleted = 0;  // superseded certificates the cleanup deleted (cleanup.h)
};

struct ReconcileReport {
  std::vector<TargetOutcome> outcomes;
  int requests = 0;                // API requests made in this pass (reads and writes)
  int writes = 0;                  // of which writes (POST, PUT, DELETE)
  bool remote_unreadable = false;  // some API group could not be read at all
  int bundles_parsed = 0;          // bundles read from their files (also those loaded to write)
  int bundles_cached = 0;          // bundles observed from the bundle cache (bundle_cache.h)

  int failed() const;
};

// Makes a client for one worker thread.
using ClientFactory = std::function<Result<apig::ClientHandle>()>;

class Reconciler {
 public:
  Reconciler(const settings::Settings& config, ClientFactory clients, const Clock& clock);

  // One pass. Updates `state` with every outcome (not in dry-run). Errors only when no client
  // could be made at all; everything else is a per-target outcome. The clients of a pass are
  // kept for the next one on this Reconciler, so a daemon's passes reuse their keep-alive
  // connections (no TLS handshake per pass).
  Result<ReconcileReport> run(state::State& state, const ReconcileOptions& options);

  // The bundle cache the passes keep (tests warm and inspect it).
  BundleCache& bundle_cache() { return bundles_; }

 private:
  const settings::Settings& config_;
  ClientFactory clients_;
  const Clock& clock_;
  std::mt19937_64 random_;
  std::vector<apig::ClientHandle> idle_clients_;
  // Like the clients, kept across passes: the private-key decoders the workers parse with,
  // and the bundle cache (bundle_cache.h; in memory only, so a new Reconciler parses every
  // bundle once).
  cert::KeyDecoders key_decoders_;
  BundleCache bundles_;
};

}  // namespace apig_certd::engine
