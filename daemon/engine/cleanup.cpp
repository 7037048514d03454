// Carrying out the cleanup of superseded certificates for one target.
//
// Each certificate gets exactly one DELETE per pass. A transient failure is not retried with
// backoff here, because cleanup is a chore next to the rotation and must never delay a pass:
// like a refusal, it is recorded on the entry (delete_failed_at) and tried again once the
// rescan interval has passed. A 404 means the object is gone already (deleted in the console,
// or by a second bind on an APIG that replaces), so the entry is dropped just as after a 204.
// A refusal is APIG's verdict that the certificate is still bound somewhere (the simulator
// answers APIG.3470; the documentation names no code): it is reported once, as a warning
// with APIG's code and message, and the certificate stays recorded as ours.

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

}  // namespace

CleanupOutcome execute_cleanup(apig::Client& client, const std::vector<CleanupDecision>& decisions,
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

CleanupOutcome preview_cleanup(const std::vector<CleanupDecision>& decisions, bool after_bind) {
  CleanupOutcome outcome;
  std::vector<std::string> names;
  for (const state::CreatedCertificate& certificate : deletions(decisions)) {
    names.push_back(describe(certificate));
  }
  if (!names.empty()) {
    outcome.detail = "; would delete superseded " + joined(names) +
                     (after_bind ? " once the bind is confirmed" : "");
  }
  return outcome;
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

}  // namespace apig_certd::engine
