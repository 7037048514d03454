#pragma once

// The reconciler: one pass of DESIGN.md §4 with real I/O, in four steps, each a unit of its
// own: observe (observe.h: files and groups), plan (plan.h, pure), execute (bind.h: each
// write a small state machine, at most `daemon.concurrency` requests in flight; then the
// CNAME poll, cname_poll.h, and the TLS probe of verify = true), record (outcome.h: the
// outcome of each target computed once, then written into the state), then the cleanup of
// superseded certificates (cleanup.h). The bundle cache (bundle_cache.h) lives here, in
// memory, across the passes of one Reconciler. The caller holds the state lock and saves the
// state.

#include <functional>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "daemon/apig/client.h"
#include "daemon/cert/key_decoders.h"
#include "daemon/core/clock.h"
#include "daemon/core/stop_signal.h"
#include "daemon/engine/bundle_cache.h"
#include "daemon/engine/outcome.h"
#include "daemon/engine/plan.h"
#include "daemon/engine/worker_pool.h"
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
  // The daemon: bindings whose files just changed. One of them whose bundle does not load or
  // is invalid may be caught in the middle of a renewal: its targets are left alone in this
  // pass (nothing planned, nothing recorded) and it is reported in `held`, so the daemon reads
  // it again after another debounce instead of reporting a half-written bundle.
  std::set<std::string> hold_if_invalid;
};

// A binding left alone because its bundle looked mid-change (ReconcileOptions::hold_if_invalid).
struct HeldBinding {
  std::string binding;
  std::string problem;  // what is wrong with the bundle now
};

struct ReconcileReport {
  std::vector<TargetOutcome> outcomes;
  int requests = 0;                // API requests made in this pass (reads and writes)
  int writes = 0;                  // of which writes (POST, PUT, DELETE)
  bool remote_unreadable = false;  // some API group could not be read at all
  int bundles_parsed = 0;          // bundles read from their files (also those loaded to write)
  int bundles_cached = 0;          // bundles observed from the bundle cache (bundle_cache.h)
  std::vector<HeldBinding> held;

  [[nodiscard]] int failed() const;
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

  // The daemon's CNAME poll between passes: one round (cname_poll.h) with the clients the
  // passes keep. No lock, no file, no state. Returns the requests made.
  Result<int> poll_cname(const std::vector<PolledTarget*>& targets);

  // The bundle cache the passes keep (tests warm and inspect it).
  BundleCache& bundle_cache() { return bundle_cache_; }

  // Lets go of the clients and key decoders kept from earlier passes (their memory and
  // connections); the next pass or poll makes what it needs again. Not while a pass runs.
  void release_idle_clients();

  // Idle clients kept for the next pass (for tests).
  [[nodiscard]] std::size_t idle_clients() const { return idle_clients_.size(); }

 private:
  // A pool of `daemon.concurrency` clients at most (fewer for fewer targets), reusing those
  // of earlier passes.
  Result<WorkerPool> make_pool(std::size_t targets);
  // Keeps a pool's clients (and their connections) for the next pass.
  void keep_clients(WorkerPool& pool);

  const settings::Settings& config_;
  ClientFactory clients_;
  const Clock& clock_;
  std::mt19937_64 random_;
  std::vector<apig::ClientHandle> idle_clients_;
  // Like the clients, kept across passes: the private-key decoders the workers parse with,
  // and the bundle cache (bundle_cache.h; in memory only, so a new Reconciler parses every
  // bundle once).
  cert::KeyDecoders key_decoders_;
  BundleCache bundle_cache_;
};

}  // namespace apig_certd::engine
