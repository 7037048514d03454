#pragma once

// Daemon: `apig-certd run`. One thread runs the event loop (sys::EventLoop) over a signalfd,
// the inotify watcher, a monotonic timerfd for the next deadline, a watchdog timerfd, a
// realtime timerfd that notices wall-clock jumps, a grace timerfd for shutdown, and an
// eventfd on which a finished pass reports back. Passes run on their own thread
// (PassRunner), one at a time, for the bindings the scheduler (engine/schedule.h) says are
// due. Nothing wakes the process while nothing is due.
//
// Lifecycle: first pass over every binding -> READY=1. File events -> debounce per binding
// (plus a random delay up to daemon.jitter, for replicas: engine/schedule.h)
// -> a pass for those bindings; a bound CNAME still resolving -> a CNAME poll every
// poll.interval (a read of the group, no pass: engine/cname_poll.h), and a pass once it
// reads a change; one whose bundle the pass finds mid-change (key and
// certificate from different renewals, a missing link, a truncated file) is held and read
// again after the debounce a few times before a pass reports it (the pass never binds an
// invalid bundle either way). The loop itself never reads a certificate file or a key. SIGHUP ->
// RELOADING=1, the config is read again; an invalid one is logged and the old one kept;
// READY=1. SIGTERM/SIGINT -> STOPPING=1; backoff sleeps end at once, requests in flight may
// finish within the shutdown grace, then they are cut off; the pass saves the state;
// notifications still queued get a few seconds; exit 0.
//
// [[notify]] webhooks send from threads of their own (notify/webhook.h): the loop only
// queues a pass's notifications, and their outcomes are logged from those threads.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "daemon/app/apig_session.h"
#include "daemon/app/pass_runner.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/core/stop_signal.h"
#include "daemon/engine/schedule.h"
#include "daemon/notify/dispatcher.h"
#include "daemon/service/log.h"
#include "daemon/service/notifier.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state_store.h"
#include "daemon/sys/event_fd.h"
#include "daemon/sys/event_loop.h"
#include "daemon/sys/signal_fd.h"
#include "daemon/sys/timer_fd.h"
#include "daemon/watch/watcher.h"

namespace apig_certd::app {

class Daemon {
 public:
  // Sets everything up (state directory, loop, fds, watches); errors name what failed.
  static Result<std::unique_ptr<Daemon>> create(std::filesystem::path config_file,
                                                settings::Settings config,
                                                const Environment& environment, const Clock& clock,
                                                service::Log& log);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  Daemon(Daemon&&) = delete;
  Daemon& operator=(Daemon&&) = delete;

  // Runs until SIGTERM/SIGINT; returns the exit code.
  int run();

 private:
  Daemon(std::filesystem::path config_file, const Environment& environment, const Clock& clock,
         service::Log& log, state::StateStore store, sys::EventLoop loop, sys::SignalFd signals,
         sys::EventFd pass_done, sys::TimerFd wake, sys::TimerFd watchdog,
         sys::TimerFd clock_change, sys::TimerFd grace, watch::Watcher watcher);

  Result<void> watch_sources();
  Result<void> apply(std::unique_ptr<settings::Settings> config);
  void watch_files();

  void on_signal();
  void on_files();
  void on_wake();
  void on_pass_done();
  void on_watchdog();
  void on_clock_change();
  void on_grace();

  void reload();
  // Switches to a reloaded config (or logs why not) and schedules a pass over every binding.
  void apply_reloaded(std::unique_ptr<settings::Settings> config);
  void begin_stop();
  // Starts what is due (if no pass runs), re-arms the wake-up timer, updates STATUS=.
  void reschedule();
  // Starts the pass of the bindings `plan` says are due.
  void start_due(const engine::Schedule& plan, MonotonicTime now);
  // Starts a CNAME poll of `bindings` (engine/cname_poll.h); false when none of their targets
  // awaits its CNAME any more.
  bool start_poll(const std::set<std::string>& bindings, SystemTime now,
                  MonotonicTime monotonic_now);
  void start_pass(PassRequest request);
  // What the loop does with a finished pass, and with a finished CNAME poll.
  void take_pass(PassResult& result);
  void take_poll(const PassResult& result);
  // STATUS= (or READY=1 with it), only when the line changed: sd_notify blocks when the
  // receiver's queue is full, so the loop never sends more than it must.
  void send_status(bool ready);
  // After a pass: bindings it held because their bundle looked mid-change are debounced again
  // (at most kMidChangeRereads times in a row); the others' count starts over.
  void hold_mid_change(const std::vector<std::string>& bindings,
                       const std::vector<engine::HeldBinding>& held, MonotonicTime now);

  std::filesystem::path config_file_;
  const Environment& environment_;
  const Clock& clock_;
  service::Log& log_;
  state::StateStore store_;
  sys::EventLoop loop_;
  sys::SignalFd signals_;
  sys::EventFd pass_done_;
  sys::TimerFd wake_;
  sys::TimerFd watchdog_;
  sys::TimerFd clock_change_;
  sys::TimerFd grace_;
  watch::Watcher watcher_;
  StopSignal stop_;
  std::atomic<bool> abort_requests_{false};
  PassRunner runner_;

  std::unique_ptr<settings::Settings> config_;
  std::unique_ptr<ApigSession> session_;
  std::unique_ptr<notify::Dispatcher> notifications_;   // the [[notify]] webhooks of config_
  std::unique_ptr<settings::Settings> pending_config_;  // a reload waiting for the pass to end
  state::State state_;                                  // as the last pass left it
  std::map<std::string, MonotonicTime> file_changes_;   // binding -> debounced due time
  std::mt19937_64 random_{std::random_device{}()};      // draws the jitter of file changes
  std::map<std::string, int> mid_change_reads_;         // binding -> re-reads so far
  std::map<std::string, engine::PassTime> last_pass_;   // binding -> end of its last pass
  std::set<std::string> cname_changed_;  // bindings a CNAME poll found changed: a pass is due
  MonotonicTime next_rescan_{};
  std::optional<MonotonicTime> next_wake_;
  std::string last_status_;  // the last STATUS= sent (sent again only when it changes)
  bool ready_ = false;
  bool stopping_ = false;
  bool grace_over_ = false;
  bool reload_pass_ = false;  // the next pass follows a reload (holds released)
  int failed_passes_ = 0;     // consecutive passes that could not run at all
};

}  // namespace apig_certd::app
