#pragma once

// PassRunner: one reconcile pass of the daemon, on a thread of its own, so blocking HTTPS
// never runs on the loop thread. The pass takes the state lock, reads state.json fresh (a
// deploy hook's `sync` may have changed it), runs the same Reconciler as `sync`, saves the
// state and lets go of the lock; then it signals the loop through an eventfd. At most one
// pass runs at a time. The pass also works out its notifications (pass_notifications.h);
// the loop hands them to the webhooks, which send them on threads of their own.
//
// A request with CNAME checks is not a pass but the daemon's CNAME poll (cname_poll.h): one
// read of the checks' groups with the pass's clients, on the same thread; no lock, no file, no
// state. The checks come back in PassResult::request with what the read found.
//
// The daemon's first pass may be prefetched: its lock is taken and state.json read on a
// thread of its own while the daemon still builds its session and watches (the largest
// parts of a start, and independent of each other). The pass then starts from what the
// prefetch read, under the lock the prefetch took.

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/app/apig_session.h"
#include "daemon/core/clock.h"
#include "daemon/core/stop_signal.h"
#include "daemon/engine/reconciler.h"
#include "daemon/notify/changes.h"
#include "daemon/state/state_store.h"
#include "daemon/sys/event_fd.h"

namespace apig_certd::app {

struct PassRequest {
  std::vector<std::string> bindings;  // empty: every binding
  engine::PlanMode mode = engine::PlanMode::Daemon;
  std::string why;  // "start", "rescan", "file change", ... for the log
  // Bindings due because their files changed: left alone if their bundle looks mid-change
  // (engine::ReconcileOptions::hold_if_invalid).
  std::set<std::string> hold_if_invalid;
  std::vector<engine::CnameCheck> cname_checks{};  // not empty: a CNAME poll, not a pass

  [[nodiscard]] bool cname_poll() const { return !cname_checks.empty(); }
};

struct PassResult {
  PassRequest request;
  Result<engine::ReconcileReport> report = engine::ReconcileReport{};
  std::optional<state::State> state;  // the state after the pass (also when not saved)
  // The state as the pass found it (what its notifications and log lines compare with).
  std::optional<state::State> before;
  std::vector<std::string> notices;     // a moved-aside state file, a failed save
  std::vector<notify::Change> changes;  // what [[notify]] webhooks are to be told
  bool saved = false;
  Duration took{};
};

class PassRunner {
 public:
  PassRunner(state::StateStore& store, const Clock& clock, StopSignal& stop,
             const sys::EventFd& done)
      : store_(store), clock_(clock), stop_(stop), done_(done) {}
  ~PassRunner();
  PassRunner(const PassRunner&) = delete;
  PassRunner& operator=(const PassRunner&) = delete;
  PassRunner(PassRunner&&) = delete;
  PassRunner& operator=(PassRunner&&) = delete;

  [[nodiscard]] bool running() const { return thread_.joinable(); }

  // Takes the state lock and reads state.json for the next pass, on a thread of its own.
  // Only reads: a file that does not parse is left to the pass, which moves it aside and
  // says so. The prefetch waits for the lock like a pass does, and gives up on a stop.
  // Call only while no pass runs; the next pass takes what it got.
  void prefetch_state();

  // Starts a pass; the settings and session must stay unchanged until finish().
  void start(PassRequest request, const settings::Settings& config, ApigSession& session);

  // Joins the finished pass (after the eventfd fired) and returns its result.
  std::optional<PassResult> finish();

  // After a pass, on the loop thread, while no pass runs (else nothing): copies the bundle
  // cache onto this thread, whose arena holds the daemon's other long-lived data, and frees
  // the pass's copy, which lay among the pass's parsing temporaries on the worker threads'
  // arena and kept their pages resident. Without `keep_idle_clients` it also releases the
  // clients and key decoders kept for the next pass (engine::keep_idle_clients()).
  void settle(bool keep_idle_clients);

  // Waits for a pass still running (the daemon's end) and drops the kept clients, which
  // refer to the session: call before the config or session they were made for goes away.
  void forget_clients();

 private:
  // What prefetch_state() got: the lock (none when it could not be taken) and the state it
  // read under it (none when the file was missing, unreadable or corrupt: load() decides),
  // with the copy of it that becomes PassResult::before (made on the prefetch's thread,
  // which has the time).
  struct Prefetched {
    MonotonicTime started{};
    std::optional<sys::FileLock> lock;
    std::optional<state::State> state;
    std::optional<state::State> before;
  };

  PassResult run(PassRequest request, const settings::Settings& config, ApigSession& session);
  // A CNAME poll (request.cname_checks) instead of a pass.
  PassResult poll(PassRequest request, const settings::Settings& config, ApigSession& session);
  // Takes the state lock, a slice at a time so that a stop is noticed.
  [[nodiscard]] Result<sys::FileLock> take_lock(MonotonicTime started) const;
  // Waits for a prefetch (if one was started) and returns what it got.
  std::optional<Prefetched> join_prefetch();
  // The Reconciler for this config and session, kept across passes (it keeps its clients and
  // their connections); made anew when a reload brings another config or session.
  engine::Reconciler& reconciler_for(const settings::Settings& config, ApigSession& session);

  state::StateStore& store_;
  const Clock& clock_;
  StopSignal& stop_;
  const sys::EventFd& done_;
  std::thread thread_;
  std::thread prefetch_thread_;
  Prefetched prefetched_;  // written by prefetch_thread_, read after joining it
  std::atomic<bool> finished_{false};
  std::optional<PassResult> result_;
  std::unique_ptr<engine::Reconciler> reconciler_;
  const settings::Settings* reconciler_config_ = nullptr;
  const ApigSession* reconciler_session_ = nullptr;
};

}  // namespace apig_certd::app
