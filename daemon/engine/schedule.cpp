#include "daemon/engine/schedule.h"

#include <algorithm>
#include <cmath>

#include "daemon/engine/cname_poll.h"

namespace apig_certd::engine {

namespace {

class Builder {
 public:
  explicit Builder(const ScheduleInput& input) : input_(input) {}

  // A deadline for `binding` (empty: every binding) at `at`.
  void add(const std::string& binding, MonotonicTime at, const std::string& why,
           bool poll = false) {
    if (at <= input_.monotonic_now) {
      if (binding.empty()) {
        result_.rescan = true;
      } else {
        (poll ? result_.polls : result_.due).insert(binding);
      }
      return;
    }
    if (!result_.next || at < *result_.next) {
      result_.next = at;
      result_.next_reason = why;
    }
  }

  // A wall-clock deadline from the state, as a monotonic one at the current offset.
  void add(const std::string& binding, SystemTime at, const std::string& why) {
    add(binding, input_.monotonic_now + (at - input_.now), why);
  }

  Schedule finish() {
    if (result_.rescan) {
      for (const settings::BindingSettings& binding : input_.settings->bindings) {
        result_.due.insert(binding.name);
      }
    }
    // A pass reads the group anyway.
    for (const std::string& binding : result_.due) {
      result_.polls.erase(binding);
    }
    // Files still changing: whatever else is due for the binding waits for the debounce, so
    // no pass reads a bundle in the middle of an ACME client's burst of writes.
    for (const auto& [binding, at] : input_.file_changes) {
      if (at > input_.monotonic_now) {
        result_.due.erase(binding);
      }
    }
    return std::move(result_);
  }

  Schedule& result() { return result_; }

 private:
  const ScheduleInput& input_;
  Schedule result_;
};

// A target's deadlines: its retry, its CNAME poll while the domain resolves, and the
// renew_warning and expiry of the certificate on disk.
void add_target(Builder& builder, const ScheduleInput& input, const state::TargetState& target) {
  const settings::Settings& config = *input.settings;
  const auto last = input.last_pass.find(target.binding);
  const PassTime* last_pass = last == input.last_pass.end() ? nullptr : &last->second;
  if (target.next_attempt) {
    builder.add(target.binding, *target.next_attempt, "retry of '" + target.binding + "'");
  }
  if (awaits_cname(target, config.poll.timeout, input.now)) {
    builder.add(
        target.binding,
        (last_pass != nullptr ? last_pass->monotonic : input.monotonic_now) + config.poll.interval,
        "CNAME poll of '" + target.binding + "'", true);
  }
  if (target.disk_not_after && last_pass != nullptr) {
    const SystemTime warning = *target.disk_not_after - config.daemon.renew_warning;
    if (warning > last_pass->wall) {
      builder.add(target.binding, warning, "renew_warning of '" + target.binding + "'");
    }
    if (*target.disk_not_after > last_pass->wall) {
      builder.add(target.binding, *target.disk_not_after, "expiry of '" + target.binding + "'");
    }
  }
}

}  // namespace

Schedule schedule(const ScheduleInput& input) {
  const settings::Settings& config = *input.settings;
  Builder builder(input);
  std::set<std::string> configured;
  for (const settings::BindingSettings& binding : config.bindings) {
    configured.insert(binding.name);
  }

  builder.add("", input.next_rescan, "rescan");
  for (const std::string& binding : input.cname_changed) {
    if (configured.contains(binding)) {
      builder.add(binding, input.monotonic_now, "CNAME change of '" + binding + "'");
    }
  }
  for (const auto& [binding, at] : input.file_changes) {
    if (configured.contains(binding)) {
      builder.add(binding, at, "file change of '" + binding + "'");
      if (at <= input.monotonic_now) {
        builder.result().files.insert(binding);
      }
    }
  }
  for (const auto& [key, target] : input.state->targets) {
    if (!configured.contains(target.binding)) {
      continue;  // Left over from an older config.
    }
    add_target(builder, input, target);
  }
  return builder.finish();
}

bool keep_idle_clients(std::optional<MonotonicTime> next, MonotonicTime monotonic_now) {
  return next && *next - monotonic_now <= kIdleConnectionsWorthKeeping;
}

Duration change_delay(Duration debounce, Duration jitter, double unit_random) {
  if (jitter <= Duration::zero()) {
    return debounce;
  }
  const double clamped = std::clamp(unit_random, 0.0, 1.0);
  const auto extra =
      static_cast<Duration::rep>(std::floor(clamped * static_cast<double>(jitter.count())));
  return debounce + Duration(std::min(extra, jitter.count()));
}

}  // namespace apig_certd::engine
