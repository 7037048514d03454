// `verify = true`: when to probe, where, and what the answer means (verification.h).
//
// The probe runs only once the CNAME is resolved: before that the domain does not reach
// APIG, so a probe could only report the old hosting or nothing at all. A mismatch is
// reported as a retryable failure and not acted on: the bind itself succeeded, and APIG (or
// a load balancer in front of it) may still serve the previous certificate for a while.
// Re-binding would only add writes and a gap; the probe is simply asked again later.

#include "daemon/engine/verification.h"

namespace apig_certd::engine {

namespace {

constexpr std::size_t kPrefixLength = 16;
constexpr int kHttpsPort = 443;

}  // namespace

bool probe_due(const ProbeDueInput& input) {
  if (!input.verify || !input.serving || input.sha256.empty() ||
      input.cname != apig::CnameStatus::Resolved) {
    return false;
  }
  if (input.written || input.state == nullptr) {
    return true;
  }
  if (input.state->verified_sha256 == input.sha256) {
    return false;  // Already seen served.
  }
  if (input.mode == PlanMode::Daemon && input.state->next_attempt &&
      *input.state->next_attempt > input.now) {
    return false;  // A failed probe is retried on the backoff schedule.
  }
  return true;
}

probe::ProbeRequest probe_request(const settings::TargetSettings& target, std::string_view domain,
                                  Duration timeout) {
  probe::ProbeRequest request;
  request.server_name = std::string(domain);
  if (target.verify_host.empty()) {
    request.host = std::string(domain);
    request.port = kHttpsPort;
  } else {
    request.host = target.verify_host;
    request.port = target.verify_port;
  }
  request.timeout = timeout;
  return request;
}

std::string fingerprint_prefix(std::string_view sha256) {
  if (sha256.size() <= kPrefixLength) {
    return std::string(sha256);
  }
  return std::string(sha256.substr(0, kPrefixLength)) + "...";
}

ProbeVerdict judge_probe(const probe::ProbeRequest& request, std::string_view bound_sha256,
                         const Result<std::string>& served_sha256) {
  ProbeVerdict verdict;
  const std::string address = probe::address_label(request.host, request.port);
  if (!served_sha256) {
    verdict.code = "verify_failed";
    verdict.error = served_sha256.error();
    verdict.detail = "cannot verify the served certificate: " + served_sha256.error().to_string();
    return verdict;
  }
  if (*served_sha256 == bound_sha256) {
    verdict.verified = true;
    verdict.detail =
        "verified: " + request.server_name + " serves " + fingerprint_prefix(*served_sha256);
    return verdict;
  }
  verdict.code = "verify_mismatch";
  verdict.detail = request.server_name + " at " + address + " serves certificate sha256 " +
                   fingerprint_prefix(*served_sha256) + " but sha256 " +
                   fingerprint_prefix(bound_sha256) +
                   " was bound; APIG may still be propagating the new certificate (or "
                   "something in front of APIG serves its own); not binding again, probing "
                   "again on the backoff schedule";
  verdict.error = Error(ErrorCode::Unavailable, verdict.detail);
  return verdict;
}

}  // namespace apig_certd::engine
