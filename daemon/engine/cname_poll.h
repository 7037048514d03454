#pragma once

// The CNAME poll, the one implementation `sync` and `run` share: after a bind, the domain's
// CNAME status is read until it is resolved (3) or failed (4). One read of a group serves all
// its domains. While it waits, the domain may stop serving our certificate (a console user,
// another tool): the poll then stops for that target and says what the domain serves instead.
//
// `sync` polls inside its pass (poll_until_done). The daemon polls between passes: every
// poll.interval one round (poll_round) over its CnameChecks, a read of the groups and nothing
// else (no lock, no bundle, no state written); only a check that read something the state does
// not record yet makes its binding due for a pass, which records it.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/engine/retry.h"
#include "daemon/engine/worker_pool.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

struct PolledTarget {
  const settings::TargetSettings* target = nullptr;
  std::string serving_name;  // the certificate it should serve
  apig::CnameStatus cname = apig::CnameStatus::Unknown;
  // Set when a read found the domain no longer serving it: what it serves ("" for nothing).
  std::optional<std::string> lost_to;
  // The ssl_id a read found `serving_name` under: a bind answer may leave it empty (ECC).
  std::string serving_ssl_id;
  // A read found `serving_name` bound: the bind is confirmed, whatever the CNAME status.
  bool confirmed = false;

  // Resolved or failed; or, with require_resolved = false, confirmed by a read.
  [[nodiscard]] bool done() const {
    return lost_to || cname == apig::CnameStatus::Resolved || cname == apig::CnameStatus::Failed ||
           (confirmed && target != nullptr && !target->require_resolved);
  }
};

// The daemon's poll of one target between passes.
struct CnameCheck {
  std::string binding;
  apig::CnameStatus recorded = apig::CnameStatus::Unknown;  // what the state says
  PolledTarget poll;                                        // starts at `recorded`

  // The read found what the state does not record: another status, or another certificate.
  [[nodiscard]] bool changed() const { return poll.lost_to || poll.cname != recorded; }
};

// Whether the daemon still waits on `target`'s CNAME: bound by us, status 1 or 2, and bound
// within poll.timeout (after it, the rescan keeps checking). cname_checks() leaves out the
// targets with require_resolved = false: their status is read by the rescan only.
bool awaits_cname(const state::TargetState& target, Duration poll_timeout, SystemTime now);

// The checks of the targets of `bindings` that await their CNAME, as `state` records them.
std::vector<CnameCheck> cname_checks(const settings::Settings& config, const state::State& state,
                                     const std::set<std::string>& bindings, SystemTime now);

// One round: the group of every target not done is read once (a failed read is skipped: the
// next round reads again), and the targets take what it says. Returns the requests made.
int poll_round(const std::vector<PolledTarget*>& targets, WorkerPool& pool);

// Rounds every `interval` until every target is done, the budget's deadline would pass, or
// the daemon stops. Returns the requests made.
int poll_until_done(const std::vector<PolledTarget*>& targets, WorkerPool& pool, RetryBudget& retry,
                    Duration interval);

}  // namespace apig_certd::engine
