#pragma once

// ScopeExit: runs a callable when the scope ends, whatever the way out (Envoy's Cleanup).
// Used for "send STOPPING=1 whatever happens" and similar sequences.

#include <utility>

namespace apig_certd {

template <typename Fn>
class [[nodiscard]] ScopeExit {
 public:
  explicit ScopeExit(Fn fn) : fn_(std::move(fn)) {}
  ~ScopeExit() {
    if (armed_) {
      fn_();
    }
  }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;
  ScopeExit(ScopeExit&&) = delete;
  ScopeExit& operator=(ScopeExit&&) = delete;

  // Do not run the callable after all.
  void cancel() { armed_ = false; }

 private:
  Fn fn_;
  bool armed_ = true;
};

}  // namespace apig_certd
