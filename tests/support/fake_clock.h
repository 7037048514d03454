#pragma once

// FakeClock: a Clock whose wall and monotonic time the test sets and advances.

#include "daemon/core/clock.h"

namespace apig_certd::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTime now = SystemTime(std::chrono::hours(24 * 365 * 56))) : now_(now) {}

  SystemTime now() const override { return now_; }
  MonotonicTime monotonic_now() const override { return monotonic_; }

  void set_now(SystemTime now) { now_ = now; }
  // Sets the wall clock forward (or back, with a negative `by`); monotonic time stays.
  void step_wall(std::chrono::milliseconds by) { now_ += by; }
  // Advances both timelines.
  void advance(std::chrono::milliseconds by) {
    now_ += by;
    monotonic_ += by;
  }

 private:
  SystemTime now_;
  MonotonicTime monotonic_{};
};

}  // namespace apig_certd::testing
