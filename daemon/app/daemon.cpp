#include "daemon/app/daemon.h"

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdlib>

#include <malloc.h>

#include "daemon/app/daemon_report.h"
#include "daemon/core/time_format.h"
#include "daemon/engine/backoff.h"
#include "daemon/engine/schedule.h"

namespace apig_certd::app {

namespace {

using service::LogLevel;

// A bundle that looks mid-change is read again this many times, a debounce apart, before a
// pass reports it as invalid.
constexpr int kMidChangeRereads = 3;
// How long requests in flight may take to finish after SIGTERM (capped by apig.timeout),
// and how long the pass then has to end after they are cut off.
constexpr Duration kShutdownGrace = std::chrono::seconds(20);
constexpr Duration kAfterCutOff = std::chrono::seconds(5);
// How long queued notifications may still take when the daemon stops, and when a reload
// replaces the webhooks.
constexpr Duration kStopDelivery = std::chrono::seconds(3);
constexpr Duration kReloadDelivery = std::chrono::seconds(2);

std::string join(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) {
    text += (text.empty() ? "'" : ", '") + name + "'";
  }
  return text;
}

// A monotonic deadline as the wall-clock time it falls on today, for messages only.
std::optional<SystemTime> wall_time(const Clock& clock, std::optional<MonotonicTime> at) {
  return at ? std::optional(clock.now() + (*at - clock.monotonic_now())) : std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Daemon>> Daemon::create(std::filesystem::path config_file,
                                               settings::Settings config,
                                               const Environment& environment, const Clock& clock,
                                               service::Log& log) {
  Result<state::StateStore> store = state::StateStore::open(config.daemon.state_dir, clock);
  if (!store) {
    return fail(std::move(store.error()));
  }
  Result<sys::EventLoop> loop = sys::EventLoop::create();
  Result<sys::SignalFd> signals = sys::SignalFd::create(sys::daemon_signals());
  Result<sys::EventFd> pass_done = sys::EventFd::create();
  Result<sys::TimerFd> wake = sys::TimerFd::monotonic();
  Result<sys::TimerFd> watchdog = sys::TimerFd::monotonic();
  Result<sys::TimerFd> clock_change = sys::TimerFd::clock_change_detector();
  Result<sys::TimerFd> grace = sys::TimerFd::monotonic();
  Result<watch::Watcher> watcher = watch::Watcher::create();
  for (const Error* error :
       {loop ? nullptr : &loop.error(), signals ? nullptr : &signals.error(),
        pass_done ? nullptr : &pass_done.error(), wake ? nullptr : &wake.error(),
        watchdog ? nullptr : &watchdog.error(), clock_change ? nullptr : &clock_change.error(),
        grace ? nullptr : &grace.error(), watcher ? nullptr : &watcher.error()}) {
    if (error != nullptr) {
      return fail(Error(*error).with_context("setting up the event loop"));
    }
  }
  std::unique_ptr<Daemon> daemon(new Daemon(
      std::move(config_file), environment, clock, log, std::move(*store), std::move(*loop),
      std::move(*signals), std::move(*pass_done), std::move(*wake), std::move(*watchdog),
      std::move(*clock_change), std::move(*grace), std::move(*watcher)));
  // The first pass's lock and state read run beside the session and watch set-up.
  daemon->runner_.prefetch_state();
  if (Result<void> applied = daemon->apply(std::make_unique<settings::Settings>(std::move(config)));
      !applied) {
    return fail(std::move(applied.error()));
  }
  if (Result<void> watched = daemon->watch_sources(); !watched) {
    return fail(std::move(watched.error()).with_context("setting up the event loop"));
  }
  return daemon;
}

Daemon::Daemon(std::filesystem::path config_file, const Environment& environment,
               const Clock& clock, service::Log& log, state::StateStore store, sys::EventLoop loop,
               sys::SignalFd signals, sys::EventFd pass_done, sys::TimerFd wake,
               sys::TimerFd watchdog, sys::TimerFd clock_change, sys::TimerFd grace,
               watch::Watcher watcher)
    : config_file_(std::move(config_file)),
      environment_(environment),
      clock_(clock),
      log_(log),
      store_(std::move(store)),
      loop_(std::move(loop)),
      signals_(std::move(signals)),
      pass_done_(std::move(pass_done)),
      wake_(std::move(wake)),
      watchdog_(std::move(watchdog)),
      clock_change_(std::move(clock_change)),
      grace_(std::move(grace)),
      watcher_(std::move(watcher)),
      runner_(store_, clock_, stop_, pass_done_) {}

Daemon::~Daemon() {
  // A pass still running (only after a failed loop) must not outlive what it uses: cut it
  // short, wait for it, and drop its clients before the session goes.
  stop_.request();
  abort_requests_ = true;
  runner_.forget_clients();
}

Result<void> Daemon::watch_sources() {
  const auto sources = std::to_array<std::pair<int, sys::EventLoop::Callback>>({
      {signals_.fd(), [this] { on_signal(); }},
      {watcher_.fd(), [this] { on_files(); }},
      {wake_.fd(), [this] { on_wake(); }},
      {pass_done_.fd(), [this] { on_pass_done(); }},
      {watchdog_.fd(), [this] { on_watchdog(); }},
      {clock_change_.fd(), [this] { on_clock_change(); }},
      {grace_.fd(), [this] { on_grace(); }},
  });
  for (const auto& [fd, callback] : sources) {
    if (Result<void> watched = loop_.watch(fd, callback); !watched) {
      return watched;
    }
  }
  if (const std::optional<Duration> interval = service::Notifier::watchdog_interval()) {
    if (Result<void> armed = watchdog_.arm_periodic(*interval / 2); !armed) {
      return fail(std::move(armed.error()).with_context("arming the watchdog timer"));
    }
  }
  return {};
}

Result<void> Daemon::apply(std::unique_ptr<settings::Settings> config) {
  if (config_ && config->daemon.state_dir != config_->daemon.state_dir) {
    log_.write(LogLevel::Warn, "daemon.state_dir changed to '" + config->daemon.state_dir.string() +
                                   "': that takes a restart; still using '" +
                                   config_->daemon.state_dir.string() + "'");
    config->daemon.state_dir = config_->daemon.state_dir;
  }
  Result<std::unique_ptr<ApigSession>> session =
      ApigSession::create(*config, environment_, clock_, &abort_requests_);
  if (!session) {
    return fail(std::move(session.error()).with_context("setting up the APIG client"));
  }
  Result<std::unique_ptr<notify::Dispatcher>> notifications = notify::Dispatcher::create(
      *config, environment_,
      [this](LogLevel level, const std::string& message) { log_.write(level, message); });
  if (!notifications) {
    return fail(std::move(notifications.error()).with_context("setting up the webhooks"));
  }
  if (notifications_) {
    if (const std::size_t left = notifications_->finish(kReloadDelivery); left > 0) {
      log_.write(LogLevel::Warn, std::to_string(left) +
                                     " notification(s) of the old configuration still "
                                     "undelivered; dropping them");
    }
  }
  notifications_ = std::move(*notifications);
  const MonotonicTime now = clock_.monotonic_now();
  if (config_) {
    next_rescan_ = std::min(next_rescan_, now + config->daemon.rescan_interval);
  } else {
    next_rescan_ = now + config->daemon.rescan_interval;
  }
  runner_.forget_clients();  // they belong to the session about to be replaced
  config_ = std::move(config);
  session_ = std::move(*session);
  log_.set_threshold(config_->daemon.log_level);
  std::erase_if(file_changes_, [this](const auto& entry) {
    return std::none_of(config_->bindings.begin(), config_->bindings.end(),
                        [&](const settings::BindingSettings& b) { return b.name == entry.first; });
  });
  watch_files();
  return {};
}

void Daemon::watch_files() {
  std::map<std::string, std::vector<std::string>> files;
  for (const settings::BindingSettings& binding : config_->bindings) {
    files[binding.name] = {binding.cert, binding.key};
  }
  for (const std::string& warning : watcher_.set_files(std::move(files))) {
    log_.write(LogLevel::Warn, warning);
  }
}

int Daemon::run() {
  // Only the count: the list would stay allocated for as long as the loop runs.
  const std::size_t directories = watcher_.watched_directories().size();
  log_.write(LogLevel::Info,
             "started: " + std::to_string(config_->bindings.size()) + " binding(s), " +
                 std::to_string(settings::target_count(*config_)) + " target(s), watching " +
                 std::to_string(directories) + " director" + (directories == 1 ? "y" : "ies") +
                 "; state in '" + store_.directory().string() + "'");
  start_pass({{}, engine::PlanMode::Sync, "start", {}});
  Result<void> ran = loop_.run();
  if (const std::size_t left = notifications_->finish(kStopDelivery); left > 0) {
    log_.write(LogLevel::Warn, std::to_string(left) + " notification(s) still undelivered after " +
                                   format_duration(kStopDelivery) + "; dropping them");
  }
  if (!ran) {
    log_.write(LogLevel::Error, "the event loop failed: " + ran.error().to_string());
    return EXIT_FAILURE;
  }
  log_.write(LogLevel::Info, "stopped");
  return EXIT_SUCCESS;
}

void Daemon::on_signal() {
  while (true) {
    Result<int> signal = signals_.read();
    if (!signal || *signal == 0) {
      return;
    }
    if (*signal == SIGHUP) {
      reload();
    } else {
      begin_stop();
    }
  }
}

void Daemon::reload() {
  service::Notifier::reloading();
  log_.write(LogLevel::Info,
             "SIGHUP: reloading the configuration from '" + config_file_.string() + "'");
  Result<settings::Settings> fresh = settings::load_settings(config_file_, environment_);
  if (!fresh) {
    log_.write(LogLevel::Error, "the new configuration is invalid; keeping the old one: " +
                                    fresh.error().to_string());
  } else {
    for (const std::string& warning : fresh->warnings) {
      log_.write(LogLevel::Warn, warning);
    }
    auto config = std::make_unique<settings::Settings>(std::move(*fresh));
    if (runner_.running()) {
      pending_config_ = std::move(config);
      log_.write(LogLevel::Info, "the new configuration takes effect when the current pass ends");
    } else {
      apply_reloaded(std::move(config));
    }
  }
  send_status(true);
  reschedule();
}

void Daemon::apply_reloaded(std::unique_ptr<settings::Settings> config) {
  if (Result<void> applied = apply(std::move(config)); !applied) {
    log_.write(LogLevel::Error, "cannot use the new configuration; keeping the old one: " +
                                    applied.error().to_string());
    return;
  }
  log_.write(LogLevel::Info,
             "configuration reloaded: " + std::to_string(config_->bindings.size()) + " binding(s)");
  // Every binding once, with failure holds released: the config change may be the fix.
  reload_pass_ = true;
  next_rescan_ = clock_.monotonic_now();
}

void Daemon::begin_stop() {
  if (stopping_) {
    log_.write(LogLevel::Warn, "second stop signal: cutting off requests in flight");
    abort_requests_ = true;
    return;
  }
  stopping_ = true;
  service::Notifier::stopping();
  stop_.request();
  if (!runner_.running()) {
    log_.write(LogLevel::Info, "stopping");
    loop_.stop();
    return;
  }
  const Duration grace = std::min(kShutdownGrace, config_->apig.timeout);
  log_.write(LogLevel::Info, "stopping: letting requests in flight finish (at most " +
                                 format_duration(grace) + ")");
  if (Result<void> armed = grace_.arm_once(grace); !armed) {
    abort_requests_ = true;
  }
}

void Daemon::on_grace() {
  (void)grace_.read();
  if (!grace_over_) {
    grace_over_ = true;
    abort_requests_ = true;
    log_.write(LogLevel::Warn,
               "requests still in flight after the shutdown grace: cutting them off");
    (void)grace_.arm_once(kAfterCutOff);
    return;
  }
  log_.write(LogLevel::Error,
             "the pass did not end after its requests were cut off; exiting without saving the "
             "state (the next start re-reads APIG, so nothing is bound twice)");
  std::_Exit(EXIT_FAILURE);
}

void Daemon::on_files() {
  watch::Watcher::Changes changes = watcher_.read_changes();
  for (const std::string& warning : changes.warnings) {
    log_.write(LogLevel::Warn, warning);
  }
  if (changes.overflow) {
    log_.write(LogLevel::Warn, "the inotify queue overflowed: re-reading every binding");
  }
  const MonotonicTime now = clock_.monotonic_now();
  const Duration jitter = config_->daemon.jitter;
  for (const std::string& binding : changes.bindings) {
    if (std::none_of(config_->bindings.begin(), config_->bindings.end(),
                     [&](const settings::BindingSettings& b) { return b.name == binding; })) {
      continue;
    }
    if (!file_changes_.contains(binding)) {
      log_.write(LogLevel::Debug,
                 "files of binding '" + binding + "' changed; acting after " +
                     format_duration(config_->daemon.debounce) + " of quiet" +
                     (jitter > Duration::zero()
                          ? " and a random delay of up to " + format_duration(jitter) + " (jitter)"
                          : ""),
                 {{"BINDING", binding}});
    }
    // Drawn again at every event: only the last one of a burst counts, and each draw is as
    // uniform as the first.
    file_changes_[binding] =
        now + engine::change_delay(config_->daemon.debounce, jitter,
                                   std::uniform_real_distribution<double>(0.0, 1.0)(random_));
  }
  reschedule();
}

void Daemon::on_wake() {
  (void)wake_.read();
  reschedule();
}

void Daemon::on_watchdog() {
  (void)watchdog_.read();
  service::Notifier::watchdog();
}

void Daemon::on_clock_change() {
  Result<sys::TimerFd::Expiry> expiry = clock_change_.read();
  if (expiry && expiry->clock_changed) {
    log_.write(LogLevel::Info, "the wall clock was set: recomputing deadlines");
    reschedule();
  }
}

void Daemon::hold_mid_change(const std::vector<std::string>& bindings,
                             const std::vector<engine::HeldBinding>& held, MonotonicTime now) {
  for (const std::string& binding : bindings) {
    if (std::none_of(held.begin(), held.end(),
                     [&](const engine::HeldBinding& hold) { return hold.binding == binding; })) {
      mid_change_reads_.erase(binding);
    }
  }
  for (const engine::HeldBinding& hold : held) {
    ++mid_change_reads_[hold.binding];
    file_changes_[hold.binding] = now + config_->daemon.debounce;
    log_.write(LogLevel::Debug,
               "binding '" + hold.binding + "' looks mid-change (" + hold.problem +
                   "); reading it again in " + format_duration(config_->daemon.debounce),
               {{"BINDING", hold.binding}});
  }
}

void Daemon::reschedule() {
  if (stopping_ || runner_.running()) {
    return;
  }
  const MonotonicTime now = clock_.monotonic_now();
  engine::ScheduleInput input;
  input.settings = config_.get();
  input.state = &state_;
  input.now = clock_.now();
  input.monotonic_now = now;
  input.next_rescan = next_rescan_;
  input.file_changes = file_changes_;
  input.last_pass = last_pass_;
  input.cname_changed = cname_changed_;
  engine::Schedule plan = engine::schedule(input);
  if (!plan.due.empty()) {
    start_due(plan, now);
    return;
  }
  if (!plan.polls.empty() && start_poll(plan.polls, input.now, now)) {
    return;
  }
  input.last_pass = last_pass_;
  plan = engine::schedule(input);
  next_wake_ = plan.next;
  if (plan.next) {
    (void)wake_.arm_once(std::max<Duration>(std::chrono::duration_cast<Duration>(*plan.next - now),
                                            std::chrono::milliseconds(1)));
    log_.write(LogLevel::Trace, "next wake-up at " +
                                    format_utc_iso8601(*wall_time(clock_, plan.next)) + " (" +
                                    plan.next_reason + ")");
  } else {
    (void)wake_.disarm();
  }
  if (ready_) {
    send_status(false);
  }
}

void Daemon::start_due(const engine::Schedule& plan, MonotonicTime now) {
  PassRequest request;
  for (const std::string& binding : plan.files) {
    if (plan.due.contains(binding) && mid_change_reads_[binding] < kMidChangeRereads) {
      request.hold_if_invalid.insert(binding);
    }
  }
  request.mode = reload_pass_ ? engine::PlanMode::Sync : engine::PlanMode::Daemon;
  request.why = reload_pass_ ? "reload" : plan.rescan ? "rescan" : "due";
  if (plan.due.size() < config_->bindings.size()) {
    request.bindings.assign(plan.due.begin(), plan.due.end());
  }
  if (plan.rescan) {
    next_rescan_ = now + config_->daemon.rescan_interval;
  }
  for (const std::string& binding : plan.due) {
    file_changes_.erase(binding);
    cname_changed_.erase(binding);
  }
  start_pass(std::move(request));
}

bool Daemon::start_poll(const std::set<std::string>& bindings, SystemTime now,
                        MonotonicTime monotonic_now) {
  // The next poll of these bindings counts from this one, whatever it finds.
  for (const std::string& binding : bindings) {
    last_pass_[binding].monotonic = monotonic_now;
  }
  PassRequest request;
  request.cname_checks = engine::cname_checks(*config_, state_, bindings, now);
  if (!request.cname_poll()) {
    return false;
  }
  request.why = "CNAME poll";
  request.bindings.assign(bindings.begin(), bindings.end());
  runner_.start(std::move(request), *config_, *session_);
  return true;
}

void Daemon::send_status(bool ready) {
  std::string line = status_line(*config_, state_, wall_time(clock_, next_wake_), clock_.now());
  if (ready) {
    service::Notifier::ready(line);
  } else if (line != last_status_) {
    service::Notifier::status(line);
  }
  last_status_ = std::move(line);
}

void Daemon::start_pass(PassRequest request) {
  log_.write(LogLevel::Debug, "pass (" + request.why + ") for " +
                                  (request.bindings.empty() ? std::string("every binding")
                                                            : join(request.bindings)));
  runner_.start(std::move(request), *config_, *session_);
}

void Daemon::on_pass_done() {
  pass_done_.drain();
  std::optional<PassResult> result = runner_.finish();
  if (!result) {
    return;
  }
  if (result->request.cname_poll()) {
    take_poll(*result);
  } else {
    take_pass(*result);
  }
  if (stopping_) {
    log_.write(LogLevel::Info, "stopping: the last pass has ended");
    loop_.stop();
    return;
  }
  if (!ready_) {
    ready_ = true;
    send_status(true);
  }
  if (pending_config_) {
    apply_reloaded(std::move(pending_config_));
  }
  reschedule();
  // A pass allocates and frees a lot (every bundle parsed by OpenSSL, the responses, on
  // threads that each have their own malloc arena), and glibc keeps what was freed. The daemon
  // then sleeps for an hour: give the free pages back (malloc_trim(3) releases whole free
  // pages in every arena). This comes after READY=1 and the schedule, which need none of it.
  // Before that, the pass's long-lived results (the state, the bundle cache) are copied on
  // this thread and their pass-made copies freed: allocated among the pass's temporaries,
  // they kept those pages resident. With 1,000 bindings in sync: 7.3 MiB of anonymous memory
  // instead of 9.0 (scripts/bench.sh --only memory; issue 17).
  const bool was_pass = !result->request.cname_poll();
  result.reset();
  if (!runner_.running()) {
    runner_.settle(engine::keep_idle_clients(next_wake_, clock_.monotonic_now()));
    if (was_pass) {
      state::State copy = state_;
      state_ = std::move(copy);
    }
  }
  ::malloc_trim(0);
}

void Daemon::take_poll(const PassResult& result) {
  std::set<std::string> changed;
  for (const engine::CnameCheck& check : result.request.cname_checks) {
    if (check.changed()) {
      changed.insert(check.binding);
    }
  }
  cname_changed_.insert(changed.begin(), changed.end());
  log_.write(
      LogLevel::Debug,
      "CNAME poll of " + std::to_string(result.request.cname_checks.size()) +
          " target(s) done in " + format_duration(result.took) + ": " +
          (result.report ? std::to_string(result.report->requests) + " API request(s)"
                         : result.report.error().to_string()) +
          (changed.empty() ? std::string("; nothing changed")
                           : "; a pass records what changed for " +
                                 join(std::vector<std::string>(changed.begin(), changed.end()))));
}

void Daemon::take_pass(PassResult& result) {
  const SystemTime now = clock_.now();
  const MonotonicTime monotonic_now = clock_.monotonic_now();
  std::vector<std::string> bindings = result.request.bindings;
  if (bindings.empty()) {
    for (const settings::BindingSettings& binding : config_->bindings) {
      bindings.push_back(binding.name);
    }
  }
  for (const std::string& notice : result.notices) {
    log_.write(LogLevel::Warn, notice);
  }
  if (!result.report) {
    ++failed_passes_;
    const Duration delay =
        engine::backoff_ceiling(failed_passes_ - 1, config_->retry.initial, config_->retry.max);
    log_.write(LogLevel::Error, "the pass could not run: " + result.report.error().to_string() +
                                    "; trying again in " + format_duration(delay));
    for (const std::string& binding : bindings) {
      file_changes_[binding] = monotonic_now + delay;
    }
  } else {
    failed_passes_ = 0;
    const state::State before = result.before ? std::move(*result.before) : state_;
    state_ = std::move(*result.state);
    for (const LogLine& line : describe_pass(*result.report, before, state_)) {
      log_.write(line.level, line.message, line.fields);
    }
    if (!result.changes.empty()) {
      const std::size_t queued = notifications_->send(result.changes, now);
      log_.write(LogLevel::Debug, std::to_string(queued) + " notification(s) queued");
    }
    log_.write(LogLevel::Debug,
               "pass (" + result.request.why + ") done in " + format_duration(result.took) + ": " +
                   std::to_string(result.report->outcomes.size()) + " target(s), " +
                   std::to_string(result.report->requests) + " API request(s), " +
                   std::to_string(result.report->writes) + " write(s), " +
                   std::to_string(result.report->bundles_parsed) + " bundle(s) parsed, " +
                   std::to_string(result.report->bundles_cached) + " from the bundle cache");
    if (result.request.mode == engine::PlanMode::Sync) {
      reload_pass_ = false;
    }
    hold_mid_change(bindings, result.report->held, monotonic_now);
  }
  for (const std::string& binding : bindings) {
    last_pass_[binding] = {monotonic_now, now};
  }
}

}  // namespace apig_certd::app
