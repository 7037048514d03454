#include "daemon/app/pass_runner.h"

#include <algorithm>
#include <utility>

#include "daemon/app/metrics.h"
#include "daemon/app/pass_notifications.h"

namespace apig_certd::app {

namespace {

// How long one attempt to take the state lock waits; between attempts the pass checks for
// a stop. A deploy hook's `sync` holds the lock for its whole pass (up to poll.timeout).
constexpr Duration kLockSlice = std::chrono::seconds(1);
constexpr Duration kLockPatience = std::chrono::minutes(15);
// How long one daemon pass retries transient failures before leaving them to the schedule.
constexpr Duration kPassRetryDeadline = std::chrono::minutes(1);

}  // namespace

PassRunner::~PassRunner() {
  if (thread_.joinable()) {
    thread_.join();
  }
  join_prefetch();
}

void PassRunner::prefetch_state() {
  join_prefetch();
  prefetched_ = Prefetched{};
  prefetched_.started = clock_.monotonic_now();
  prefetch_thread_ = std::thread([this] {
    Result<sys::FileLock> locked = take_lock(prefetched_.started);
    if (!locked) {
      return;  // the pass tries again and reports what it finds
    }
    prefetched_.lock.emplace(std::move(*locked));
    if (Result<state::State> read = state::read_state_file(store_.state_file()); read) {
      prefetched_.before = *read;
      prefetched_.state = std::move(*read);
    }
  });
}

std::optional<PassRunner::Prefetched> PassRunner::join_prefetch() {
  if (!prefetch_thread_.joinable()) {
    return std::nullopt;
  }
  prefetch_thread_.join();
  return std::exchange(prefetched_, Prefetched{});
}

Result<sys::FileLock> PassRunner::take_lock(MonotonicTime started) const {
  while (true) {
    Result<sys::FileLock> locked = store_.lock(kLockSlice);
    if (locked) {
      return locked;
    }
    const bool waiting = locked.error().code() == ErrorCode::Timeout;
    if (!waiting || stop_.requested() || clock_.monotonic_now() - started > kLockPatience) {
      return fail(std::move(locked.error()).with_context("taking the state lock"));
    }
  }
}

void PassRunner::start(PassRequest request, const settings::Settings& config,
                       ApigSession& session) {
  finished_ = false;
  result_.reset();
  thread_ = std::thread([this, request = std::move(request), &config, &session]() mutable {
    result_ = request.cname_poll() ? poll(std::move(request), config, session)
                                   : run(std::move(request), config, session);
    finished_ = true;
    done_.signal();
  });
}

std::optional<PassResult> PassRunner::finish() {
  if (!thread_.joinable() || !finished_) {
    return std::nullopt;
  }
  thread_.join();
  return std::move(result_);
}

void PassRunner::settle(bool keep_idle_clients) {
  if (thread_.joinable() || !reconciler_) {
    return;
  }
  engine::BundleCache& cache = reconciler_->bundle_cache();
  engine::BundleCache copy = cache;
  cache = std::move(copy);
  if (!keep_idle_clients) {
    reconciler_->release_idle_clients();
  }
}

void PassRunner::forget_clients() {
  if (thread_.joinable()) {
    thread_.join();
  }
  reconciler_.reset();
  reconciler_config_ = nullptr;
  reconciler_session_ = nullptr;
}

engine::Reconciler& PassRunner::reconciler_for(const settings::Settings& config,
                                               ApigSession& session) {
  if (!reconciler_ || reconciler_config_ != &config || reconciler_session_ != &session) {
    reconciler_.reset();
    reconciler_ = std::make_unique<engine::Reconciler>(
        config, [&session] { return session.make_client(); }, clock_);
    reconciler_config_ = &config;
    reconciler_session_ = &session;
  }
  return *reconciler_;
}

PassResult PassRunner::poll(PassRequest request, const settings::Settings& config,
                            ApigSession& session) {
  const MonotonicTime started = clock_.monotonic_now();
  PassResult result;
  result.request = std::move(request);
  std::vector<engine::PolledTarget*> targets;
  targets.reserve(result.request.cname_checks.size());
  for (engine::CnameCheck& check : result.request.cname_checks) {
    targets.push_back(&check.poll);
  }
  Result<int> requests = reconciler_for(config, session).poll_cname(targets);
  if (requests) {
    engine::ReconcileReport report;
    report.requests = *requests;
    result.report = std::move(report);
  } else {
    result.report = fail(std::move(requests.error()));
  }
  result.took = std::chrono::duration_cast<Duration>(clock_.monotonic_now() - started);
  return result;
}

PassResult PassRunner::run(PassRequest request, const settings::Settings& config,
                           ApigSession& session) {
  std::optional<Prefetched> prefetched = join_prefetch();
  const MonotonicTime started = prefetched ? prefetched->started : clock_.monotonic_now();
  PassResult result;
  result.request = std::move(request);
  const auto done = [&]() -> PassResult {
    result.took = std::chrono::duration_cast<Duration>(clock_.monotonic_now() - started);
    return std::move(result);
  };

  std::optional<sys::FileLock> lock;
  std::optional<state::State> read;
  std::optional<state::State> before;  // set with `read` by a prefetch
  bool moved_aside = false;            // the file was unusable: save the rebuilt state
  if (prefetched) {
    lock = std::move(prefetched->lock);
    read = std::move(prefetched->state);
    before = std::move(prefetched->before);
  }
  if (!lock) {
    Result<sys::FileLock> locked = take_lock(started);
    if (!locked) {
      result.report = fail(std::move(locked.error()));
      return done();
    }
    lock.emplace(std::move(*locked));
  }
  if (!read) {
    Result<state::LoadedState> loaded = store_.load();
    if (!loaded) {
      result.report = fail(std::move(loaded.error()));
      return done();
    }
    moved_aside = loaded->moved_aside.has_value();
    if (loaded->moved_aside) {
      result.notices.push_back("the state file was unusable (" + loaded->problem +
                               "); moved it aside to '" + loaded->moved_aside->string() +
                               "' and rebuilding the state from APIG");
    }
    read = std::move(loaded->state);
  }
  state::State current = std::move(*read);
  result.before = before ? std::move(before) : current;

  engine::Reconciler& reconciler = reconciler_for(config, session);
  engine::ReconcileOptions options;
  options.plan = {result.request.mode, false};
  options.wait_for_cname = false;
  options.cname_polled_later = true;
  options.bindings = result.request.bindings;
  options.hold_if_invalid = result.request.hold_if_invalid;
  // Every daemon pass (start, rescan, file change, reload) may use the bundle cache: a changed
  // file has a new identity and is parsed anyway.
  options.bundles = engine::BundleSource::CacheWhenUnchanged;
  options.stop = &stop_;
  // A pass never holds the lock (and READY=1) for long: what still fails after this is
  // recorded with its next_attempt and the scheduler comes back for it.
  options.retry_deadline = std::min(config.poll.timeout, kPassRetryDeadline);
  result.report = reconciler.run(current, options);
  if (result.report) {
    result.changes =
        take_notifications(config, *result.before, current, *result.report, clock_.now());
    // A pass that changed nothing (a CNAME poll while the domain still resolves) leaves the
    // file alone: no write to state_dir every poll.interval.
    Result<void> saved =
        current == *result.before && !moved_aside ? Result<void>() : store_.save(current);
    result.saved = saved.has_value();
    if (!saved) {
      result.notices.push_back("cannot save the state: " + saved.error().to_string() +
                               "; the next pass re-reads APIG, so nothing is bound twice");
    }
    if (Result<void> metrics =
            write_metrics(config, current, !result.report->remote_unreadable, clock_.now());
        !metrics) {
      result.notices.push_back("cannot write the metrics file: " + metrics.error().to_string());
    }
  }
  result.state = std::move(current);
  return done();
}

}  // namespace apig_certd::app
