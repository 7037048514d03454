// Carrying out the cleanup of superseded certificates for the targets of a pass.
//
// Each certificate gets exactly one DELETE per pass. A transient failure is not retried with
// backoff here, because cleanup is a chore next to the rotation and must never delay a pass:
// like a refusal, it is recorded on the entry (delete_failed_at) and tried again once the
// rescan interval has passed. A 404 means the object is gone already (deleted in the console,
// or by a second bind on an APIG that replaces), so the entry is dropped just as after a 204.
// A refusal is APIG's verdict that the certificate is still bound somewhere (the simulator
// answers APIG.3470; the documentation names no code): it is reported once, as a warning
// with APIG's code and message, and the certificate stays recorded as ours.
//
// The targets are independent, so their deletions run in parallel on the pass's workers; each
// worker changes only its own target's state entry, found before the workers start.

#include "daemon/engine/cleanup.h"

#include <algorithm>

#include "daemon/core/duration.h"

namespace apig_certd::engine {

namespace {

std::string describe(const state::CreatedCertificate& certificate) {
  return "'" + certificate.name + "' (ssl_id " + certificate.ssl_id + ")";
}

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) {
    text += (text.empty() ? "" : ", ") + part;
  }
  return text;
}

void count_bound_certificates(const apig::UrlDomain& domain,
                              std::map<std::string, int, std::less<>>& in_use) {
  std::vector<std::string> ids;
  if (!domain.ssl_id.empty()) {
    ids.push_back(domain.ssl_id);
  }
  for (const apig::SslInfo& info : domain.ssl_infos) {
    if (!info.ssl_id.empty() && std::find(ids.begin(), ids.end(), info.ssl_id) == ids.end()) {
      ids.push_back(info.ssl_id);
    }
  }
  for (const std::string& id : ids) {
    ++in_use[id];
  }
}

CleanupOutcome delete_superseded(apig::Client& client,
                                 const std::vector<CleanupDecision>& decisions,
                                 std::vector<state::CreatedCertificate>& created, SystemTime now,
                                 Duration retry_interval) {
  CleanupOutcome outcome;
  std::vector<std::string> deleted;
  for (const state::CreatedCertificate& certificate : deletions(decisions)) {
    ++outcome.requests;
    const Result<void> result = client.delete_certificate(certificate.ssl_id);
    const auto entry = std::find_if(
        created.begin(), created.end(),
        [&](const state::CreatedCertificate& item) { return item.ssl_id == certificate.ssl_id; });
    if (result || result.error().code() == ErrorCode::NotFound) {
      deleted.push_back(describe(certificate) + (result ? "" : " (already gone)"));
      ++outcome.deleted;
      if (entry != created.end()) {
        created.erase(entry);
      }
      continue;
    }
    const std::string why = result.error().to_string();
    outcome.warnings.push_back("cannot delete the superseded certificate " + describe(certificate) +
                               ": " + why + "; keeping it recorded, retrying in " +
                               format_duration(retry_interval));
    if (entry != created.end()) {
      entry->delete_failed_at = now;
      entry->delete_error = why;
    }
  }
  if (!deleted.empty()) {
    outcome.detail = "; deleted superseded " + joined(deleted);
  }
  return outcome;
}

}  // namespace

std::map<std::string, int, std::less<>> certificates_in_use(
    const std::vector<const apig::Group*>& groups, const std::vector<CleanupTarget>& targets) {
  std::map<std::string, int, std::less<>> in_use;
  for (const apig::Group* group : groups) {
    for (const apig::UrlDomain& domain : group->url_domains) {
      count_bound_certificates(domain, in_use);
    }
  }
  for (const CleanupTarget& target : targets) {
    if (!target.replaces) {
      continue;
    }
    const auto before = in_use.find(target.bound_before);
    if (before != in_use.end() && --before->second <= 0) {
      in_use.erase(before);
    }
    if (!target.bound_now.empty()) {
      ++in_use[target.bound_now];
    }
  }
  return in_use;
}

std::vector<CleanupOutcome> run_cleanup(WorkerPool& pool, const std::vector<CleanupTarget>& targets,
                                        const std::map<std::string, int, std::less<>>& in_use,
                                        state::State& state, SystemTime now,
                                        Duration retry_interval) {
  std::vector<CleanupOutcome> outcomes(targets.size());
  std::vector<std::vector<CleanupDecision>> decisions(targets.size());
  std::vector<state::TargetState*> entries(targets.size(), nullptr);
  std::vector<std::size_t> due;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto entry = state.targets.find(targets[i].key);
    // What serves must be known, to be kept: recorded, or just bound by this pass (an ECC
    // bind's answer may lack its id; not recorded, it cannot be deleted).
    if (!targets[i].eligible || entry == state.targets.end() ||
        (entry->second.ssl_id.empty() && !targets[i].replaces)) {
      continue;
    }
    entries[i] = &entry->second;
    decisions[i] = plan_cleanup({targets[i].binding, &entry->second.created, entry->second.ssl_id,
                                 &in_use, now, retry_interval});
    if (!deletions(decisions[i]).empty()) {
      due.push_back(i);
    }
  }
  pool.run(due.size(), [&](std::size_t i, apig::Client& client) {
    const std::size_t index = due[i];
    outcomes[index] =
        delete_superseded(client, decisions[index], entries[index]->created, now, retry_interval);
  });
  return outcomes;
}

std::vector<CleanupOutcome> preview_cleanup(const std::vector<CleanupTarget>& targets,
                                            const std::map<std::string, int, std::less<>>& in_use,
                                            const state::State& state, SystemTime now,
                                            Duration retry_interval) {
  std::vector<CleanupOutcome> outcomes(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const CleanupTarget& target = targets[i];
    const auto entry = state.targets.find(target.key);
    if (!target.eligible || entry == state.targets.end()) {
      continue;
    }
    // A bind would make a certificate that is not recorded yet the serving one.
    std::string serving;
    if (!target.replaces) {
      serving = target.bound_before.empty() ? entry->second.ssl_id : target.bound_before;
      if (serving.empty()) {
        continue;
      }
    }
    std::vector<std::string> names;
    for (const state::CreatedCertificate& certificate : deletions(plan_cleanup(
             {target.binding, &entry->second.created, serving, &in_use, now, retry_interval}))) {
      names.push_back(describe(certificate));
    }
    if (!names.empty()) {
      outcomes[i].detail = "; would delete superseded " + joined(names) +
                           (target.replaces ? " once the bind is confirmed" : "");
    }
  }
  return outcomes;
}

}  // namespace apig_certd::engine
