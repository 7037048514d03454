#pragma once

// The cleanup of superseded certificates (issue 9), the doing half: carries out what
// cleanup_plan.h decided for one target, with one DELETE /certificates/{id} per certificate,
// and keeps the target's `created` list true. The reconciler calls it once a bind is confirmed
// (CNAME resolved, or bound with --no-wait); it never changes the target's own outcome.

#include <map>
#include <string>
#include <vector>

#include "daemon/apig/client.h"
#include "daemon/apig/models.h"
#include "daemon/core/clock.h"
#include "daemon/engine/cleanup_plan.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

// What cleanup did (or, with --dry-run, would do) for one target.
struct CleanupOutcome {
  std::string detail;                 // appended to the target's line; empty when nothing
  std::vector<std::string> warnings;  // deletes that failed, one line each
  int deleted = 0;                    // certificates deleted (or found already gone)
  int requests = 0;                   // DELETE requests made
};

// Deletes deletions(decisions), oldest first, each with a single request: no retry within the
// pass, so cleanup never holds up the rotation. 204, and 404 (already gone), drop the entry from
// `created`. Any other answer keeps it, with delete_failed_at = now and delete_error, and
// becomes a warning; plan_cleanup() leaves it alone until `retry_interval` has passed.
CleanupOutcome execute_cleanup(apig::Client& client, const std::vector<CleanupDecision>& decisions,
                               std::vector<state::CreatedCertificate>& created, SystemTime now,
                               Duration retry_interval);

// --dry-run: the same decisions, described, with nothing sent. `after_bind`: the target is
// about to be bound, so the deletions wait for that bind to be confirmed.
CleanupOutcome preview_cleanup(const std::vector<CleanupDecision>& decisions, bool after_bind);

// Counts every certificate bound to `domain` (ssl_id and each ssl_infos[].ssl_id, once each)
// into `in_use`, the map CleanupInput::in_use points at.
void count_bound_certificates(const apig::UrlDomain& domain,
                              std::map<std::string, int, std::less<>>& in_use);

}  // namespace apig_certd::engine
