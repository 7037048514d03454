#pragma once

// What happened to each target in a pass: the facts the pass gathered (TargetRun), the one
// outcome computed from them (outcome_of), and how that outcome is recorded in the state
// (record). Pure: no I/O, the clock's time passed in.

#include <optional>
#include <string>
#include <vector>

#include "daemon/engine/bind.h"
#include "daemon/engine/cname_poll.h"
#include "daemon/engine/observe.h"
#include "daemon/engine/plan.h"
#include "daemon/engine/verification.h"
#include "daemon/state/state.h"
#include "daemon/state/target_result.h"

namespace apig_certd::engine {

// What happened to one target, as the user sees it.
struct TargetOutcome {
  std::string key;
  std::string binding;
  std::string target;  // the domain, or "domain_id X"
  std::string group_id;
  state::TargetResult result = state::TargetResult::Failed;
  std::string detail;  // why, or what is bound now
  std::vector<std::string> warnings;
  int deleted = 0;  // superseded certificates the cleanup deleted (cleanup.h)

  [[nodiscard]] bool ok() const { return state::is_success(result); }
};

// Everything one pass learned about one target, in the order it learned it.
struct TargetRun {
  const ObservedTarget* observed = nullptr;
  TargetPlan plan;
  // Replicas: the plan made again on a re-read right before the write (the executor never
  // edits `plan`; this is what it decided instead).
  std::optional<TargetPlan> replanned;
  std::optional<Error> not_attempted;   // a planned write that did not start, and why
  std::optional<BindResult> write;      // the write, when one was attempted
  PolledTarget poll;                    // the CNAME as last read
  std::optional<ProbeVerdict> verdict;  // verify = true: what the probe found

  // The decision in force: the re-plan when there was one.
  [[nodiscard]] const TargetPlan& decision() const { return replanned ? *replanned : plan; }
  [[nodiscard]] bool written() const { return write && write->written; }
  // The domain serves the desired certificate: written now, or in sync.
  [[nodiscard]] bool serving() const { return written() || decision().action == Action::None; }
};

struct OutcomeOptions {
  bool dry_run = false;
  bool wait_for_cname = true;
  bool cname_polled_later = false;  // the daemon: an unresolved CNAME is "resolving"
  Duration poll_interval{};
  Duration poll_timeout{};
};

TargetOutcome outcome_of(const TargetRun& run, const OutcomeOptions& options);

// Records `outcome` of `run` in its state entry at `now`.
void record(const TargetRun& run, const TargetOutcome& outcome, const settings::Settings& config,
            SystemTime now, state::TargetState& entry);

}  // namespace apig_certd::engine
