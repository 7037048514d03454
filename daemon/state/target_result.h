#pragma once

// A target's result: what the last pass did with it, as the one closed set every part of
// apig-certd decides on. Text exists only where it is printed (words(): "in sync") or saved
// (token(): "in_sync" in state.json, status --json, metrics and webhooks); this file holds
// the only mapping between the two.

#include <optional>
#include <string_view>

namespace apig_certd::state {

enum class TargetResult {
  InSync,       // the desired certificate is bound and its CNAME resolved
  Bound,        // this pass bound it, CNAME resolved (or not checked: sync --no-wait)
  Resolving,    // bound, its CNAME not resolved yet
  Failed,       // could not be done; last_error says why (retried on the backoff schedule)
  Invalid,      // the bundle is not bindable (expired, key mismatch, does not cover the domain)
  Refused,      // the downgrade guard: the bound certificate expires later
  Drift,        // something else is bound and drift = "report"
  WouldBind,    // --dry-run: a bind is planned
  WouldUpdate,  // --dry-run: an in-place update is planned
};

// The saved word: "in_sync", "bound", "resolving", "failed", "invalid", "refused", "drift",
// "would_bind", "would_update".
std::string_view token(TargetResult result);
// The printed words: "in sync", "bound", "resolving", "would bind", "would update", and
// "failed" for every kind of failure (a refused downgrade counts as a failed target, DESIGN.md
// §2; the saved token keeps which kind).
std::string_view words(TargetResult result);
// The result a saved token names; nullopt for anything else.
std::optional<TargetResult> parse_target_result(std::string_view token);

// The domain serves the desired certificate (bound, in sync, or resolving).
bool is_serving(TargetResult result);
// Any kind of failure: failed, invalid, refused, drift.
bool is_failure(TargetResult result);
// Counts as a success for exit codes and the metrics (bound or in sync; with --dry-run the
// planned writes too).
bool is_success(TargetResult result);

}  // namespace apig_certd::state
