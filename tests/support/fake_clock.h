#pragma once

// FakeClock: a Clock whose wall and monotonic time the test sets and advances. Sleeping
// advances both timelines at once instead of waiting, so a backoff of minutes costs nothing.
// Safe to use from the worker threads of a pass.

#include <atomic>

#include "daemon/core/clock.h"

namespace apig_certd::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime now = SystemTime(std::chrono::hours(24 * 365 * 56))) : now_(now) {}

  SystemTime now() const override { return now_.load(); }
  MonotonicTime monotonic_now() const override { return monotonic_.load(); }
  bool sleep_for(Duration duration, StopSignal* stop) const override {
    if (stop != nullptr && stop->requested()) {
      return false;
    }
    advance_by(duration);
    ++sleeps_;
    return true;
  }

  void set_now(SystemTime now) { now_ = now; }
  // Sets the wall clock forward (or back, with a negative `by`); monotonic time stays.
  void step_wall(std::chrono::milliseconds by) { now_ = now_.load() + by; }
  // Advances both timelines.
  void advance(std::chrono::milliseconds by) { advance_by(by); }
  // How many times code slept on this clock.
  int sleeps() const { return sleeps_.load(); }

 private:
  void advance_by(Duration by) const {
    SystemTime wall = now_.load();
    while (!now_.compare_exchange_weak(wall, wall + by)) {
    }
    MonotonicTime monotonic = monotonic_.load();
    while (!monotonic_.compare_exchange_weak(monotonic, monotonic + by)) {
    }
  }

  mutable std::atomic<SystemTime> now_;
  mutable std::atomic<MonotonicTime> monotonic_{};
  mutable std::atomic<int> sleeps_{0};
};

}  // namespace apig_certd::testing
