#pragma once

// Which changes of a pass are worth a notification ([[notify]], DESIGN.md §3): a pure
// function of the state before and after the pass, the targets the pass looked at, and the
// clock. Never "still in sync", and never the same failure again on every retry.
//
// Results: "ok" is bound, in_sync or resolving; "failing" is failed, invalid or refused;
// "drift" is a foreign certificate reported (drift = "report").
//
//   bound      a write bound a certificate in this pass (bind_successes went up).
//   failed     the target is failing now and was not, or fails differently: another result,
//              error code, or certificate than the last failure. A retry that fails the same
//              way is not a new event, nor is a daemon pass that only waits out a backoff.
//   recovered  the target was failing (or in reported drift) and is ok now.
//   expiring   the certificate on disk is within `renew_warning` of its notAfter (or past it):
//              once per certificate (TargetState::expiring_sha256 remembers it).
//   drift      the pass found a certificate bound behind apig-certd's back: reported (the
//              target entered "drift") or repaired (a write re-bound the fingerprint the state
//              already recorded as bound; a `bound` event comes with it).

#include <optional>
#include <string>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/duration.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::notify {

using settings::NotifyEvent;

struct Change {
  NotifyEvent event = NotifyEvent::Bound;
  std::string key;            // target_key() of the target
  state::TargetState target;  // as the pass left it
  std::string sha256;         // the certificate the event is about
  std::optional<SystemTime> not_after;
  std::string certificate_name;  // its APIG name when it is the bound one, else ""
};

// The changes between `before` and `after` for the targets `keys` (those of the pass), in the
// order of `keys`; per target: drift, bound, recovered, failed, expiring.
std::vector<Change> detect_changes(const state::State& before, const state::State& after,
                                   const std::vector<std::string>& keys, SystemTime now,
                                   Duration renew_warning);

// Records what `changes` notified in `state`, so it is not notified again (expiring).
void remember_notified(state::State& state, const std::vector<Change>& changes);

}  // namespace apig_certd::notify
