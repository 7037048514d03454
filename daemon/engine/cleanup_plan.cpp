// Which superseded certificates of a target to delete: the decision, pure.
//
// Every seed call (POST .../domains/{id}/certificate) creates a certificate object in APIG,
// and a renewal leaves the previous one behind, unbound. apig-certd remembers each object it
// created in the target's `created` list; this decides which of them go. Two independent
// proofs of ownership are required before anything is deleted: the id is in `created` (we
// recorded it when APIG answered our POST), and the name is exactly one apig-certd makes for
// this binding's cert_name. A certificate that is bound anywhere we looked is kept whatever
// its age (APIG would refuse the delete anyway), and so is the one the target serves. Of the
// rest, the newest `keep_previous` stay for a rollback. A delete that failed is not tried again
// until `retry_interval` (the rescan interval) has passed: a refusal is reported once, not
// retried in a loop.

#include "daemon/engine/cleanup_plan.h"

#include <algorithm>

#include "daemon/cert/certificate_name.h"
#include "daemon/engine/plan.h"

namespace apig_certd::engine {

std::string_view to_string(CleanupVerdict verdict) {
  switch (verdict) {
    case CleanupVerdict::Delete:
      return "delete";
    case CleanupVerdict::KeepServing:
      return "keep (serving)";
    case CleanupVerdict::KeepForRollback:
      return "keep (rollback)";
    case CleanupVerdict::KeepInUse:
      return "keep (bound to a domain)";
    case CleanupVerdict::KeepForeign:
      return "keep (not named by apig-certd)";
    case CleanupVerdict::KeepHeld:
      return "keep (a delete failed recently)";
  }
  return "keep";
}

bool is_our_certificate_name(std::string_view name, std::string_view cert_name) {
  // Any date and fingerprint will do: only the fitted prefix and the lengths matter.
  const std::string sample = cert::make_certificate_name(cert_name, SystemTime{}, "00000000");
  return same_name_prefix(name, sample);
}

std::vector<CleanupDecision> plan_cleanup(const CleanupInput& input) {
  const settings::BindingSettings& binding = *input.binding;
  const std::vector<state::CreatedCertificate>& created = *input.created;
  if (!binding.cleanup) {
    return {};
  }
  const bool serving_known =
      input.serving_ssl_id.empty() ||
      std::any_of(created.begin(), created.end(), [&](const state::CreatedCertificate& entry) {
        return entry.ssl_id == input.serving_ssl_id;
      });
  if (!serving_known) {
    return {};
  }
  // Newest first; a stable sort keeps "recorded later" ahead among equal times.
  std::vector<const state::CreatedCertificate*> order;
  for (auto it = created.rbegin(); it != created.rend(); ++it) {
    order.push_back(&*it);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const state::CreatedCertificate* a, const state::CreatedCertificate* b) {
                     return a->created_at > b->created_at;
                   });

  std::vector<CleanupDecision> decisions;
  int kept_for_rollback = 0;
  for (const state::CreatedCertificate* entry : order) {
    CleanupDecision decision{*entry, CleanupVerdict::Delete};
    const bool in_use = input.in_use != nullptr && input.in_use->contains(entry->ssl_id);
    if (!input.serving_ssl_id.empty() && entry->ssl_id == input.serving_ssl_id) {
      decision.verdict = CleanupVerdict::KeepServing;
    } else if (entry->ssl_id.empty() || !is_our_certificate_name(entry->name, binding.cert_name)) {
      decision.verdict = CleanupVerdict::KeepForeign;
    } else if (in_use) {
      decision.verdict = CleanupVerdict::KeepInUse;
    } else if (kept_for_rollback < binding.keep_previous) {
      decision.verdict = CleanupVerdict::KeepForRollback;
      ++kept_for_rollback;
    } else if (entry->delete_failed_at &&
               input.now < *entry->delete_failed_at + input.retry_interval) {
      decision.verdict = CleanupVerdict::KeepHeld;
    }
    decisions.push_back(std::move(decision));
  }
  return decisions;
}

std::vector<state::CreatedCertificate> deletions(const std::vector<CleanupDecision>& decisions) {
  std::vector<state::CreatedCertificate> result;
  for (auto it = decisions.rbegin(); it != decisions.rend(); ++it) {
    if (it->verdict == CleanupVerdict::Delete) {
      result.push_back(it->certificate);
    }
  }
  return result;
}

}  // namespace apig_certd::engine
