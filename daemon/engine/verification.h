#pragma once

// `verify = true` (DESIGN.md §3) as pure decisions: whether a target's served certificate is
// probed in this pass, where the probe connects, and what its answer means. The reconciler
// does the I/O (probe/tls_probe.h) in between.
//
// How the state records it: a bind is recorded as usual (bound_sha256, ssl_id), and a probe
// that saw the bound fingerprint served sets verified_sha256. A probe is due while the two
// differ, so a mismatch never causes another POST: the planner still finds the desired
// certificate bound (in sync) and only the probe is retried, on the target's next_attempt.

#include <optional>
#include <string>
#include <string_view>

#include "daemon/apig/models.h"
#include "daemon/core/clock.h"
#include "daemon/core/error.h"
#include "daemon/core/result.h"
#include "daemon/engine/plan.h"
#include "daemon/probe/tls_probe.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

struct ProbeDueInput {
  bool verify = false;   // the target's `verify`
  bool serving = false;  // the desired certificate is bound (written in this pass, or in sync)
  bool written = false;  // it was written in this pass
  apig::CnameStatus cname = apig::CnameStatus::Unknown;
  std::string_view sha256;                    // the desired (bound) fingerprint
  const state::TargetState* state = nullptr;  // nullptr: never seen before
  PlanMode mode = PlanMode::Sync;
  SystemTime now{};
};

// True when the probe runs in this pass: verify is on, the desired certificate is bound and
// the CNAME is resolved (3), and either it was just written or the state has not seen that
// fingerprint served yet (verified_sha256). In daemon mode a failed probe waits for the
// target's next_attempt; `sync` (an operator asking) probes at once.
bool probe_due(const ProbeDueInput& input);

// Where the probe connects for `target`: verify_host:verify_port when set, else the domain
// on 443; SNI is always `domain` (the configured domain, or the one APIG reported when only
// domain_id is configured). `timeout` is apig.timeout.
probe::ProbeRequest probe_request(const settings::TargetSettings& target, std::string_view domain,
                                  Duration timeout);

// What one probe found.
struct ProbeVerdict {
  bool verified = false;
  // verified: "verified: www.example.com serves 5f1616cb3d0e6a1b..."; otherwise why not,
  // naming the domain and the address.
  std::string detail;
  // Not verified: the error to report and retry (always retryable: a mismatch is APIG still
  // propagating or something in front of it; a connection failure may heal), and the code
  // the state records ("verify_mismatch", "verify_failed").
  std::optional<Error> error;
  std::string code;
};

// Compares what the probe of `request` returned with the bound fingerprint.
ProbeVerdict judge_probe(const probe::ProbeRequest& request, std::string_view bound_sha256,
                         const Result<std::string>& served_sha256);

// The first 16 hex digits and "...", how fingerprints appear in one-line messages.
std::string fingerprint_prefix(std::string_view sha256);

}  // namespace apig_certd::engine
