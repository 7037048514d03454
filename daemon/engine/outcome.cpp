#include "daemon/engine/outcome.h"

#include <algorithm>

#include "daemon/core/time_format.h"
#include "daemon/engine/backoff.h"

namespace apig_certd::engine {

namespace {

using state::TargetResult;

struct Verdict {
  TargetResult result;
  std::string detail;
};

// How a domain reaches the gateway: which of the two applies is not in any API answer.
std::string dns_hint(const std::string& sl_domain) {
  const std::string cname = sl_domain.empty()
                                ? "a CNAME record to the API group's debugging subdomain"
                                : "a CNAME record to the group's subdomain '" + sl_domain + "'";
  return "point the domain at the gateway: " + cname +
         " (shared gateway, ROMA), or an A record to the instance's ingress address (dedicated "
         "gateway)";
}

// require_resolved = false: the bind is confirmed (or the poll was skipped); the status is
// shown, never a failure.
Verdict unrequired_cname_verdict(const TargetRun& run, const std::string& serving,
                                 TargetResult ok) {
  const int status = static_cast<int>(run.poll.cname);
  if (run.poll.cname == apig::CnameStatus::Resolved) {
    return {ok, serving + ", CNAME resolved"};
  }
  const std::string hint = run.poll.cname == apig::CnameStatus::NotResolved ||
                                   run.poll.cname == apig::CnameStatus::Failed
                               ? ": " + dns_hint(run.observed->input.remote.sl_domain)
                               : "";
  return {ok, serving + ", CNAME status " + std::to_string(status) +
                  " (not required: require_resolved = false)" + hint};
}

// A target that serves `serving`: resolved, failed, resolving, or not checked.
Verdict cname_verdict(const TargetRun& run, const std::string& serving, TargetResult ok,
                      const OutcomeOptions& options) {
  if (!run.observed->target->require_resolved) {
    return unrequired_cname_verdict(run, serving, ok);
  }
  switch (run.poll.cname) {
    case apig::CnameStatus::Resolved:
      return {ok, serving + ", CNAME resolved"};
    case apig::CnameStatus::Failed:
      return {TargetResult::Failed, serving + ", but CNAME resolution failed: " +
                                        dns_hint(run.observed->input.remote.sl_domain)};
    default:
      break;
  }
  if (options.cname_polled_later) {
    return {TargetResult::Resolving,
            serving + ", CNAME status " + std::to_string(static_cast<int>(run.poll.cname)) +
                " (resolving); checking again every " + format_duration(options.poll_interval)};
  }
  if (!options.wait_for_cname) {
    return {ok, serving + " (CNAME not checked: --no-wait)"};
  }
  if (run.poll.cname == apig::CnameStatus::NotResolved) {
    return {TargetResult::Resolving,
            serving + "; the domain does not resolve to the gateway yet (CNAME status 1 after " +
                format_duration(options.poll_timeout) +
                "): " + dns_hint(run.observed->input.remote.sl_domain)};
  }
  return {TargetResult::Resolving,
          serving + ", CNAME still resolving after " + format_duration(options.poll_timeout)};
}

// Folds a probe's verdict into an outcome that is otherwise a success.
void apply_probe(const TargetRun& run, TargetOutcome& result) {
  if (!run.verdict || !result.ok()) {
    return;
  }
  if (run.verdict->verified) {
    result.detail += "; " + run.verdict->detail;
    return;
  }
  result.result = TargetResult::Failed;
  result.detail = run.verdict->detail;
}

TargetResult planned_failure(const TargetPlan& plan) {
  switch (plan.action) {
    case Action::Refuse:
      return TargetResult::Refused;
    case Action::ReportDrift:
      return TargetResult::Drift;
    case Action::Skip:
      return plan.retryable ? TargetResult::Failed : TargetResult::Invalid;
    default:
      return TargetResult::Failed;
  }
}

Verdict dry_run_verdict(const TargetPlan& plan) {
  switch (plan.action) {
    case Action::None:
      return {TargetResult::InSync, plan.reason};
    case Action::Bind:
    case Action::Attach:
      return {TargetResult::WouldBind, plan.reason};
    case Action::Update:
      return {TargetResult::WouldUpdate, plan.reason};
    default:
      return {planned_failure(plan), plan.reason};
  }
}

Verdict run_verdict(const TargetRun& run, const OutcomeOptions& options) {
  const TargetPlan& plan = run.decision();
  if (run.poll.lost_to) {
    const std::string& ours = run.written() ? run.write->bound_name : plan.certificate_name;
    return {TargetResult::Failed,
            "'" + ours +
                "' was bound, but while its CNAME was resolving the domain stopped serving it (it "
                "now serves " +
                (run.poll.lost_to->empty() ? std::string("no certificate")
                                           : "'" + *run.poll.lost_to + "'") +
                "); something else changed the domain; the next attempt binds again (or reports "
                "it, with drift = \"report\")"};
  }
  if (plan.action == Action::None) {
    const bool meanwhile = run.replanned.has_value();
    return cname_verdict(
        run,
        "'" + plan.certificate_name + "' is bound" +
            (meanwhile ? " (another instance bound it after this pass read the group)" : ""),
        TargetResult::InSync, options);
  }
  if (run.not_attempted) {
    return {TargetResult::Failed, run.not_attempted->to_string()};
  }
  if (!run.write) {
    return {planned_failure(plan), plan.reason};
  }
  if (!run.write->written) {
    return {TargetResult::Failed,
            run.write->error ? run.write->error->to_string() : "unknown error"};
  }
  Verdict verdict =
      cname_verdict(run, "'" + run.write->bound_name + "' (ssl_id " + run.write->ssl_id + ")",
                    TargetResult::Bound, options);
  if (plan.action == Action::Update) {
    verdict.detail = "updated in place: " + verdict.detail;
  } else if (plan.action == Action::Attach) {
    verdict.detail = "attached: " + verdict.detail;
  }
  // APIG refused the first POST (the slot was taken) and room was made: say how, since a
  // domain served nothing for that moment and a detached object still exists.
  for (const std::string& ssl_id : run.write->deleted) {
    verdict.detail += "; made room by deleting certificate " + ssl_id + " (ours)";
  }
  for (const std::string& ssl_id : run.write->detached) {
    verdict.detail += plan.action == Action::Attach
                          ? "; detached the superseded certificate " + ssl_id + " from the domain"
                          : "; made room by detaching certificate " + ssl_id +
                                " from the domain (not ours: the object stays)";
  }
  // A certificate was bound behind our back and we put ours back: say so, since the operator
  // will want to know who keeps changing it.
  if (plan.repairs_drift) {
    verdict.detail = "repaired drift (the domain served '" +
                     (plan.bound_name.empty() ? plan.bound_ssl_id : plan.bound_name) +
                     "'): " + verdict.detail;
  }
  return verdict;
}

// The error code the state records for a failed outcome, and whether it is transient.
std::pair<std::string, bool> failure_code(const TargetRun& run) {
  if (run.verdict && !run.verdict->verified) {
    return {run.verdict->code, true};  // Only the probe is asked again, never the bind.
  }
  const Error* error = run.not_attempted               ? &*run.not_attempted
                       : run.write && run.write->error ? &*run.write->error
                                                       : nullptr;
  if (error != nullptr) {
    const std::string code = error->remote() && !error->remote()->service_code.empty()
                                 ? error->remote()->service_code
                                 : std::string(to_string(error->code()));
    return {code, is_retryable(error->code())};
  }
  const TargetPlan& plan = run.decision();
  if (plan.action == Action::Skip) {
    return {plan.retryable ? "Unavailable" : "invalid", plan.retryable};
  }
  return {std::string(to_string(plan.action)), plan.retryable};
}

}  // namespace

TargetOutcome outcome_of(const TargetRun& run, const OutcomeOptions& options) {
  const ObservedTarget& observed = *run.observed;
  TargetOutcome result;
  result.key = run.plan.key;
  result.binding = observed.binding->name;
  result.target = target_label(*observed.target);
  result.group_id = observed.target->group_id;
  result.warnings = run.plan.warnings;
  if (run.write) {
    result.warnings.insert(result.warnings.end(), run.write->warnings.begin(),
                           run.write->warnings.end());
  }
  Verdict verdict = options.dry_run ? dry_run_verdict(run.plan) : run_verdict(run, options);
  result.result = verdict.result;
  result.detail = std::move(verdict.detail);
  if (!options.dry_run && !run.poll.lost_to && run.serving()) {
    apply_probe(run, result);
  }
  return result;
}

namespace {

// Our last write bound entry.bound_name, but APIG's answer had no ssl_id (ECC) and no poll
// has read it since: a read of the group that shows the name bound tells its id, and the
// object is recorded as ours (what cleanup deletes once it is superseded).
void learn_ssl_id(const RemoteObservation& remote, int keep_previous, state::TargetState& entry) {
  if (!entry.ssl_id.empty() || !entry.bound_at || entry.bound_name.empty() ||
      remote.bound_name != entry.bound_name || remote.bound_ssl_id.empty()) {
    return;
  }
  entry.ssl_id = remote.bound_ssl_id;
  state::remember_created(entry.created,
                          {remote.bound_ssl_id,
                           entry.bound_name,
                           entry.bound_sha256,
                           *entry.bound_at,
                           std::nullopt,
                           {}},
                          keep_previous);
}

// In sync: the bound certificate is the one on disk (the name carries its fingerprint),
// even when another instance bound it after our last write.
void record_in_sync(const TargetRun& run, state::TargetState& entry) {
  const TargetPlan& plan = run.decision();
  const RemoteObservation& remote = run.observed->input.remote;
  const std::optional<DiskCertificate>& disk = run.observed->input.disk->certificate;
  const std::string& ssl_id = run.replanned ? plan.bound_ssl_id : remote.bound_ssl_id;
  entry.bound_sha256 = plan.sha256;
  entry.bound_name = plan.certificate_name;
  entry.ssl_id = ssl_id.empty() ? entry.ssl_id : ssl_id;
  if (disk) {
    entry.bound_not_after = disk->not_after;
  }
}

// A write that bound the certificate on disk.
void record_written(const TargetRun& run, SystemTime now, state::TargetState& entry) {
  const ObservedTarget& observed = *run.observed;
  const TargetPlan& plan = run.decision();
  const std::optional<DiskCertificate>& disk = observed.input.disk->certificate;
  entry.bound_sha256 = plan.sha256;
  entry.bound_name = run.write->bound_name;
  // An ECC bind's answer may have no ssl_id: the poll's read of the group found it by name.
  const std::string& ssl_id =
      run.write->ssl_id.empty() ? run.poll.serving_ssl_id : run.write->ssl_id;
  entry.ssl_id = ssl_id;
  entry.bound_at = now;
  entry.bound_not_after = disk->not_after;
  if (!ssl_id.empty()) {
    state::remember_created(entry.created,
                            {ssl_id, run.write->bound_name, plan.sha256, now, std::nullopt, {}},
                            observed.binding->keep_previous);
  }
  for (const std::string& entry_ssl_id : run.write->entry_ssl_ids) {
    state::remember_created(
        entry.created, {entry_ssl_id, run.write->bound_name, plan.sha256, now, std::nullopt, {}},
        observed.binding->keep_previous);
  }
}

}  // namespace

void record(const TargetRun& run, const TargetOutcome& outcome, const settings::Settings& config,
            SystemTime now, state::TargetState& entry) {
  const ObservedTarget& observed = *run.observed;
  const TargetPlan& plan = run.decision();
  const settings::TargetSettings& target = *observed.target;
  const RemoteObservation& remote = observed.input.remote;
  const std::optional<DiskCertificate>& disk = observed.input.disk->certificate;
  entry.binding = observed.binding->name;
  entry.instance_id = target.instance_id;
  entry.group_id = target.group_id;
  entry.domain = target.domain;
  if (!remote.domain_id.empty()) {
    entry.domain_id = remote.domain_id;
  } else if (!target.domain_id.empty()) {
    entry.domain_id = target.domain_id;
  }
  if (disk) {
    entry.disk_sha256 = disk->sha256;
    entry.disk_not_after = disk->not_after;
  }
  if (run.poll.cname != apig::CnameStatus::Unknown) {
    entry.cname_status = static_cast<int>(run.poll.cname);
  }
  learn_ssl_id(remote, observed.binding->keep_previous, entry);
  if (plan.action == Action::None) {
    record_in_sync(run, entry);
  }
  if (run.write) {
    entry.last_attempt = now;
    ++(run.write->written ? entry.bind_successes : entry.bind_failures);
    std::erase_if(entry.created, [&](const state::CreatedCertificate& created) {
      return std::find(run.write->deleted.begin(), run.write->deleted.end(), created.ssl_id) !=
             run.write->deleted.end();
    });
  }
  if (run.written()) {
    record_written(run, now, entry);
  }
  if (plan.action == Action::Wait) {
    // Not tried: its retry is not due. The failure it waits on stays recorded as it was
    // (result, error, count, next attempt), so status and metrics keep the real error.
    return;
  }
  entry.last_result = outcome.result;
  if (run.verdict && run.verdict->verified) {
    entry.verified_sha256 = plan.sha256;
    entry.verified_at = now;
  }
  if (outcome.ok()) {
    entry.consecutive_failures = 0;
    entry.last_success = now;
    entry.last_error.reset();
    entry.failed_sha256.clear();
    entry.next_attempt.reset();
    return;
  }
  if (outcome.result == state::TargetResult::Resolving) {
    return;
  }
  ++entry.consecutive_failures;
  const auto [code, transient] = failure_code(run);
  entry.last_error = state::LastError{code, outcome.detail, now};
  entry.failed_sha256 = plan.sha256;
  entry.next_attempt = now + (transient ? backoff_ceiling(entry.consecutive_failures - 1,
                                                          config.retry.initial, config.retry.max)
                                        : config.daemon.rescan_interval);
}

}  // namespace apig_certd::engine
