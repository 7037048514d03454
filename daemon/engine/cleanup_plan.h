#pragma once

// The cleanup of superseded certificates (issue 9), the decision half: which certificate
// objects apig-certd created for one target may be deleted now. A pure function of the
// target's `created` list (state.h), the certificate it serves, what the pass saw bound, the
// binding's settings and the clock; cleanup.h carries the decision out.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

enum class CleanupVerdict {
  Delete,           // Ours, superseded, bound nowhere, older than the kept ones.
  KeepServing,      // The certificate the target serves now.
  KeepForRollback,  // One of the newest `keep_previous` superseded ones.
  KeepInUse,        // Bound to some domain as far as this pass saw.
  KeepForeign,      // Its name is not "{cert_name}_YYYYMMDD_hhhhhhhh": never ours to delete.
  KeepHeld,         // A delete failed less than `retry_interval` ago: not retried yet.
};

std::string_view to_string(CleanupVerdict verdict);

struct CleanupInput {
  const settings::BindingSettings* binding = nullptr;  // cleanup, keep_previous, cert_name
  const std::vector<state::CreatedCertificate>* created = nullptr;
  // The certificate the target serves once the pass is done. Empty: a certificate that is not
  // in `created` yet (the preview of a bind), so every entry is a superseded one.
  std::string serving_ssl_id;
  // Every certificate id bound to some domain, with the number of domains, as far as the pass
  // knows (the groups it read, corrected for its own writes).
  const std::map<std::string, int, std::less<>>* in_use = nullptr;
  SystemTime now{};
  Duration retry_interval{};  // daemon.rescan_interval: how long a failed delete is held
};

struct CleanupDecision {
  state::CreatedCertificate certificate;
  CleanupVerdict verdict = CleanupVerdict::KeepForeign;
};

// One decision per entry of `created`, newest first (by created_at; of equal times the one
// recorded later counts as newer). Empty when the binding has cleanup = false, or when
// serving_ssl_id names no entry and is not empty (what the target serves is not one of ours:
// drift, or a lost state; nothing is judged superseded then).
std::vector<CleanupDecision> plan_cleanup(const CleanupInput& input);

// The decisions with verdict Delete, oldest first (the order they are carried out in).
std::vector<state::CreatedCertificate> deletions(const std::vector<CleanupDecision>& decisions);

// True when `name` is what make_certificate_name() makes from `cert_name`: the fitted prefix,
// '_', an 8-digit date, '_', 8 hex digits. "site_a_20270101_abcdef01" is not a name of
// cert_name "site".
bool is_our_certificate_name(std::string_view name, std::string_view cert_name);

}  // namespace apig_certd::engine
