#pragma once

// The cleanup of superseded certificates (issue 9), the doing half: for the targets of a pass,
// plans (cleanup_plan.h) and carries out one DELETE /certificates/{id} per superseded
// certificate, and keeps each target's `created` list true. The reconciler calls it once the
// outcomes are recorded; it only adds to a target's outcome, never changes it.

#include <map>
#include <string>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/core/clock.h"
#include "daemon/engine/cleanup_plan.h"
#include "daemon/engine/worker_pool.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

// One target of the pass, as the cleanup sees it.
struct CleanupTarget {
  const settings::BindingSettings* binding = nullptr;
  std::string key;           // state::target_key(): its entry in the state
  std::string bound_before;  // what the pass saw bound on the domain before writing
  std::string bound_now;     // what this pass bound ("" when it wrote nothing)
  // The pass replaced bound_before with a new certificate (with --dry-run: would replace it).
  bool replaces = false;
  // Cleanup may run for it: its bind is confirmed (the outcome is a success); with --dry-run,
  // the plan binds, updates or is in sync.
  bool eligible = false;
};

// What cleanup did (or, with --dry-run, would do) for one target.
struct CleanupOutcome {
  std::string detail;                 // appended to the target's line; empty when nothing
  std::vector<std::string> warnings;  // deletes that failed, one line each
  int deleted = 0;                    // certificates deleted (or found already gone)
  int requests = 0;                   // requests made (attached-domains and DELETE)
  int writes = 0;                     // of which DELETEs
};

// Every certificate bound to a domain of `groups` (ssl_id and ssl_infos), with its number of
// domains, corrected for the pass's own writes: a replaced certificate counts once less, the
// one bound instead once more.
std::map<std::string, int, std::less<>> certificates_in_use(
    const std::vector<const apig::Group*>& groups, const std::vector<CleanupTarget>& targets);

// The real run, one outcome per target (in order). For each eligible target whose state entry
// names what it serves, deletes what plan_cleanup() says on `pool`: each certificate once
// (targets may share one), after GET .../attached-domains shows it bound nowhere (else it is
// kept, and said so), with no retry within the pass, so cleanup never holds up a rotation.
// 204 and 404 (already gone) drop the entry from `created`; any other answer keeps it with
// delete_failed_at = now and delete_error, and becomes a warning; plan_cleanup() then leaves it
// alone until `retry_interval` has passed. Only the targets' own state entries are changed.
std::vector<CleanupOutcome> run_cleanup(WorkerPool& pool, const std::vector<CleanupTarget>& targets,
                                        const std::map<std::string, int, std::less<>>& in_use,
                                        state::State& state, SystemTime now,
                                        Duration retry_interval);

// --dry-run: the same decisions from the state as it is, described, with nothing sent.
std::vector<CleanupOutcome> preview_cleanup(const std::vector<CleanupTarget>& targets,
                                            const std::map<std::string, int, std::less<>>& in_use,
                                            const state::State& state, SystemTime now,
                                            Duration retry_interval);

}  // namespace apig_certd::engine
