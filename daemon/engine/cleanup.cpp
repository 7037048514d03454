// Carrying out the cleanup of superseded certificates for the targets of a pass.
//
// Each certificate gets exactly one DELETE per pass, however many targets share it (strategy
// "attach"), and only once GET .../attached-domains says no domain uses it. A transient failure is
// not retried with backoff here, because cleanup is a chore next to the rotation and must never
// delay a pass: like a refusal, it is recorded on the entry (delete_failed_at) and tried again once
// the rescan interval has passed. A 404 means the object is gone already (deleted in the console,
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

// What became of one superseded certificate.
struct Deletion {
  enum class Result { Deleted, AlreadyGone, InUse, Failed };
  Result result = Result::Failed;
  long domains = 0;   // InUse: how many domains it is still bound to
  std::string error;  // Failed: why
  int requests = 0;
  int writes = 0;
};

// attached-domains first: the object may serve domains this pass did not read (another
// group, another binding's targets, a strategy "attach" object still attached where a detach
// failed). APIG refuses to delete a bound object anyway; this keeps the refusal from being
// a warning.
Deletion delete_if_unused(apig::Client& client, const std::string& ssl_id) {
  Deletion deletion;
  ++deletion.requests;
  const Result<long> domains = client.attached_domain_count(ssl_id);
  if (!domains && domains.error().code() == ErrorCode::NotFound) {
    deletion.result = Deletion::Result::AlreadyGone;
    return deletion;
  }
  if (domains && *domains > 0) {
    deletion.result = Deletion::Result::InUse;
    deletion.domains = *domains;
    return deletion;
  }
  ++deletion.requests;
  ++deletion.writes;
  const Result<void> result = client.delete_certificate(ssl_id);
  if (result || result.error().code() == ErrorCode::NotFound) {
    deletion.result = result ? Deletion::Result::Deleted : Deletion::Result::AlreadyGone;
    return deletion;
  }
  deletion.error = result.error().to_string();
  return deletion;
}

// Applies `deletion` of `certificate` to one target's entry and outcome; `counted` is false for
// the targets after the first that share the object (strategy "attach").
void apply(const Deletion& deletion, const state::CreatedCertificate& certificate, bool counted,
           std::vector<state::CreatedCertificate>& created, SystemTime now, Duration retry_interval,
           CleanupOutcome& outcome, std::vector<std::string>& deleted) {
  const auto entry = std::find_if(
      created.begin(), created.end(),
      [&](const state::CreatedCertificate& item) { return item.ssl_id == certificate.ssl_id; });
  outcome.requests += counted ? deletion.requests : 0;
  outcome.writes += counted ? deletion.writes : 0;
  switch (deletion.result) {
    case Deletion::Result::Deleted:
    case Deletion::Result::AlreadyGone:
      deleted.push_back(describe(certificate) +
                        (deletion.result == Deletion::Result::Deleted ? "" : " (already gone)"));
      outcome.deleted += counted ? 1 : 0;
      if (entry != created.end()) {
        created.erase(entry);
      }
      return;
    case Deletion::Result::InUse:
      outcome.detail += "; kept superseded " + describe(certificate) + ": still bound to " +
                        std::to_string(deletion.domains) + " domain(s)";
      return;
    case Deletion::Result::Failed:
      break;
  }
  outcome.warnings.push_back("cannot delete the superseded certificate " + describe(certificate) +
                             ": " + deletion.error + "; keeping it recorded, retrying in " +
                             format_duration(retry_interval));
  if (entry != created.end()) {
    entry->delete_failed_at = now;
    entry->delete_error = deletion.error;
  }
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
  std::vector<std::vector<state::CreatedCertificate>> due(targets.size());
  std::vector<state::TargetState*> entries(targets.size(), nullptr);
  // Each certificate once, however many targets share it (strategy "attach").
  std::vector<std::string> certificates;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto entry = state.targets.find(targets[i].key);
    // What serves must be known, to be kept: recorded, or just bound by this pass (an ECC
    // bind's answer may lack its id; not recorded, it cannot be deleted).
    if (!targets[i].eligible || entry == state.targets.end() ||
        (entry->second.ssl_id.empty() && !targets[i].replaces)) {
      continue;
    }
    entries[i] = &entry->second;
    due[i] = deletions(plan_cleanup({targets[i].binding, &entry->second.created,
                                     entry->second.ssl_id, &in_use, now, retry_interval}));
    for (const state::CreatedCertificate& certificate : due[i]) {
      if (std::find(certificates.begin(), certificates.end(), certificate.ssl_id) ==
          certificates.end()) {
        certificates.push_back(certificate.ssl_id);
      }
    }
  }
  std::vector<Deletion> results(certificates.size());
  pool.run(certificates.size(), [&](std::size_t i, apig::Client& client) {
    results[i] = delete_if_unused(client, certificates[i]);
  });
  std::vector<char> counted(certificates.size(), 0);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::vector<std::string> deleted;
    for (const state::CreatedCertificate& certificate : due[i]) {
      const auto index = static_cast<std::size_t>(
          std::find(certificates.begin(), certificates.end(), certificate.ssl_id) -
          certificates.begin());
      apply(results[index], certificate, counted[index] == 0, entries[i]->created, now,
            retry_interval, outcomes[i], deleted);
      counted[index] = 1;
    }
    if (!deleted.empty()) {
      outcomes[i].detail = "; deleted superseded " + joined(deleted) + outcomes[i].detail;
    }
  }
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
