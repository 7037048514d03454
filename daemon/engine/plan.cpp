// The planner.
//
// For each target the decision follows DESIGN.md §4 in order, and the first rule that
// decides wins:
//   1. the bundle could not be loaded, or 2. it is invalid (expired, key mismatch, ...), or
//      the certificate does not cover the domain          -> Skip (never bind something wrong)
//   4. APIG could not be read, or the domain is not in the group -> Skip
//      (daemon: a failed fingerprint or a retry not yet due -> Wait)
//   4. the desired name is what is bound (remote, else state) -> None, unless --force
//   8. the bound certificate is not ours although we bound one before: drift
//      -> ReportDrift (drift = "report") or carry on repairing
//   4. the bound certificate expires on a later day than ours -> Refuse, unless --force
//   5. strategy "update" and one of our certificate objects is bound -> Update; strategy
//      "attach" -> Attach; else Bind.
// "Ours" means the state lists the ssl_id as created by us, or the name carries our prefix
// and our "_YYYYMMDD_hhhhhhhh" suffix. The downgrade guard compares UTC days: names carry
// the day only, and a same-day renewal is never a downgrade worth blocking.

#include "daemon/engine/plan.h"

#include <algorithm>
#include <map>

#include "daemon/core/ascii.h"
#include "daemon/core/time_format.h"

namespace apig_certd::engine {

namespace {

constexpr std::size_t kNameSuffixLength = 18;  // "_YYYYMMDD_hhhhhhhh"

bool is_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool has_our_suffix(std::string_view name) {
  if (name.size() <= kNameSuffixLength) {
    return false;
  }
  const std::string_view suffix = name.substr(name.size() - kNameSuffixLength);
  return suffix[0] == '_' && is_digits(suffix.substr(1, 8)) && suffix[9] == '_' &&
         is_hex(suffix.substr(10));
}

long utc_day(SystemTime time) {
  return days_until(SystemTime(), time);
}

bool created_by_us(const state::TargetState* state, std::string_view ssl_id) {
  if (state == nullptr || ssl_id.empty()) {
    return false;
  }
  if (state->ssl_id == ssl_id) {
    return true;
  }
  return std::any_of(
      state->created.begin(), state->created.end(),
      [&](const state::CreatedCertificate& created) { return created.ssl_id == ssl_id; });
}

TargetPlan skip(TargetPlan plan, std::string reason, bool retryable) {
  plan.action = Action::Skip;
  plan.reason = std::move(reason);
  plan.failure = true;
  plan.retryable = retryable;
  return plan;
}

// Rules 1-3: is there something valid to bind? Returns the Skip plan when not.
std::optional<TargetPlan> check_disk(const TargetInput& input, TargetPlan plan) {
  if (input.disk == nullptr || !input.disk->certificate) {
    const std::string why = input.disk == nullptr ? "no bundle" : input.disk->load_error;
    return skip(std::move(plan), "cannot load the certificate: " + why, false);
  }
  const DiskCertificate& disk = *input.disk->certificate;
  if (!disk.errors.empty()) {
    std::string why;
    for (const std::string& error : disk.errors) {
      why += (why.empty() ? "" : "; ") + error;
    }
    return skip(std::move(plan), "invalid certificate, not bound: " + why, false);
  }
  if (input.domain_problem) {
    return skip(std::move(plan), "invalid for this domain, not bound: " + *input.domain_problem,
                false);
  }
  return std::nullopt;
}

// Rule 4's precondition: do we know what APIG has? Returns the Skip plan when not.
std::optional<TargetPlan> check_remote(const TargetInput& input, TargetPlan plan) {
  switch (input.remote.status) {
    case RemoteObservation::Status::Error: {
      const Error& error = *input.remote.error;
      return skip(std::move(plan), "cannot read the domain from APIG: " + error.to_string(),
                  is_retryable(error.code()));
    }
    case RemoteObservation::Status::DomainMissing:
      return skip(std::move(plan),
                  "the domain '" + target_label(*input.target) + "' is not bound to API group '" +
                      input.target->group_id +
                      "': bind the domain to the group in APIG, or fix the target",
                  false);
    case RemoteObservation::Status::Found:
    case RemoteObservation::Status::NotObserved:
      break;
  }
  return std::nullopt;
}

// What is bound now: the remote when observed, else the state's memory.
void fill_bound(const TargetInput& input, TargetPlan& plan) {
  if (input.remote.status == RemoteObservation::Status::Found) {
    plan.bound_ssl_id = input.remote.bound_ssl_id;
    plan.bound_name = input.remote.bound_name;
  } else if (input.state != nullptr) {
    plan.bound_ssl_id = input.state->ssl_id;
    plan.bound_name = input.state->bound_name;
  }
  plan.bound_is_ours =
      created_by_us(input.state, plan.bound_ssl_id) ||
      (!plan.bound_name.empty() && same_name_prefix(plan.bound_name, plan.certificate_name));
}

// A refused POST deletes only what the state says we created, and never a global object
// (it may serve other domains); anything else is detached, and only with drift = "repair"
// or when its name is ours (a state lost since). DESIGN.md §4 step 5. Strategy "attach"
// only detaches: its objects serve several domains, and cleanup deletes one once none uses it.
MakeRoom room_policy(const TargetInput& input, const TargetPlan& plan, bool drift_repair) {
  if (input.binding->strategy != settings::Strategy::Attach &&
      created_by_us(input.state, plan.bound_ssl_id) &&
      input.remote.bound_scope != apig::CertificateScope::Global) {
    return MakeRoom::Delete;
  }
  return plan.bound_is_ours || drift_repair ? MakeRoom::Detach : MakeRoom::Refuse;
}

// The domain's other port entries whose slot does not hold the desired certificate.
std::vector<std::string> lagging_entries(const TargetInput& input, const TargetPlan& plan) {
  std::vector<std::string> ids;
  for (const PortEntry& entry : input.remote.port_entries) {
    if (entry.bound_name != plan.certificate_name) {
      ids.push_back(entry.domain_id);
    }
  }
  return ids;
}

bool in_sync(const TargetInput& input, const TargetPlan& plan) {
  if (input.remote.status == RemoteObservation::Status::Found) {
    return !plan.bound_name.empty() && plan.bound_name == plan.certificate_name &&
           lagging_entries(input, plan).empty();
  }
  return input.state != nullptr && !input.state->ssl_id.empty() &&
         input.state->bound_sha256 == plan.sha256;
}

// The bound certificate's expiry day, as well as we know it.
std::optional<SystemTime> bound_not_after(const TargetInput& input, const TargetPlan& plan) {
  if (input.remote.bound_not_after) {
    return input.remote.bound_not_after;
  }
  if (input.state != nullptr && input.state->ssl_id == plan.bound_ssl_id &&
      input.state->bound_not_after) {
    return input.state->bound_not_after;
  }
  if (plan.bound_is_ours) {
    return date_from_name(plan.bound_name);
  }
  return std::nullopt;
}

// Daemon mode: hold a fingerprint that failed for good, and retries that are not due.
std::optional<TargetPlan> check_backoff(const TargetInput& input, SystemTime now, TargetPlan plan) {
  const state::TargetState* state = input.state;
  if (state == nullptr || !state->next_attempt || *state->next_attempt <= now) {
    return std::nullopt;
  }
  if (state->last_result != state::TargetResult::Failed || state->failed_sha256 != plan.sha256) {
    return std::nullopt;  // The file changed since the failure: act now.
  }
  plan.action = Action::Wait;
  plan.next_attempt = state->next_attempt;
  plan.reason = "waiting until " + format_utc_iso8601(*state->next_attempt) + " before retrying" +
                (state->last_error ? " (last error: " + state->last_error->message + ")" : "");
  return plan;
}

// Something else is bound where we bound ours: reported (drift = "report"), or `plan` is
// marked as a repair.
std::optional<TargetPlan> check_drift(const TargetInput& input, bool repair, TargetPlan& plan) {
  const bool nothing_bound = plan.bound_ssl_id.empty() && plan.bound_name.empty();
  const bool we_bound_before = input.state != nullptr && !input.state->ssl_id.empty();
  if (nothing_bound || plan.bound_is_ours || !we_bound_before) {
    return std::nullopt;
  }
  const std::string what = "drift: the domain now serves '" +
                           (plan.bound_name.empty() ? plan.bound_ssl_id : plan.bound_name) +
                           "', not the certificate apig-certd bound ('" + input.state->bound_name +
                           "')";
  if (repair) {
    plan.reason = what + "; repairing";
    plan.repairs_drift = true;
    return std::nullopt;
  }
  TargetPlan report = plan;
  report.action = Action::ReportDrift;
  report.failure = true;
  report.reason = what + "; not repairing because drift = \"report\"";
  return report;
}

// The downgrade guard: never replace a certificate that expires on a later day.
std::optional<TargetPlan> check_downgrade(const TargetInput& input, TargetPlan plan) {
  const std::optional<SystemTime> bound_expiry = bound_not_after(input, plan);
  const SystemTime not_after = input.disk->certificate->not_after;
  if (!bound_expiry || utc_day(*bound_expiry) <= utc_day(not_after)) {
    return std::nullopt;
  }
  plan.action = Action::Refuse;
  plan.failure = true;
  plan.reason = "refusing to replace '" + plan.bound_name + "' (expires " +
                format_utc_date(*bound_expiry) + ") with an older certificate (expires " +
                format_utc_date(not_after) + "); use --force if this downgrade is intended";
  return plan;
}

// mTLS (DESIGN.md §4 step 5): a domain that verifies client certificates keeps its CA only
// through a write that carries trusted_root_ca, which the one-step bind cannot; strategy
// "update" rewrites an object apig-certd created, and strategy "attach" creates one, both
// with client_ca. Anything else is refused before any write.
std::optional<TargetPlan> check_client_verification(const TargetInput& input,
                                                    const TargetPlan& plan, bool carries_ca) {
  if (!input.remote.client_verification) {
    return std::nullopt;
  }
  const std::string domain = "'" + target_label(*input.target) +
                             "' verifies client certificates (mTLS) against the CA of its bound "
                             "certificate, and a write without that CA would switch client "
                             "verification off";
  if (input.target->client_ca.empty()) {
    return skip(plan,
                domain +
                    "; nothing written: set client_ca = \"PATH\" on this target (the CA "
                    "bundle to keep trusting) and strategy = \"update\" or \"attach\" on "
                    "binding '" +
                    input.binding->name + "'",
                false);
  }
  if (!carries_ca) {
    const std::string bound =
        "'" + (plan.bound_name.empty() ? plan.bound_ssl_id : plan.bound_name) + "'";
    return skip(plan,
                domain +
                    "; nothing written: with strategy \"update\" apig-certd carries client_ca "
                    "only by rewriting a certificate object it created, and " +
                    bound +
                    " is not one (a one-step bind cannot carry a CA); strategy \"attach\" "
                    "creates an object of its own with the CA",
                false);
  }
  return std::nullopt;
}

// Why a Bind or Update happens: the drift being repaired, else what is bound now.
// What a refused POST would do with the bound certificate, for `sync --dry-run` and the log.
std::string room_note(const TargetPlan& plan, bool nothing_bound) {
  if (nothing_bound) {
    return "";
  }
  const std::string bound =
      "'" + (plan.bound_name.empty() ? plan.bound_ssl_id : plan.bound_name) + "'";
  switch (plan.make_room) {
    case MakeRoom::Delete:
      return " (should APIG refuse a second certificate, " + bound + ", ours, is deleted first)";
    case MakeRoom::Detach:
      return " (should APIG refuse a second certificate, " + bound +
             " is detached from the domain first; not ours, its object is kept)";
    case MakeRoom::Refuse:
      break;
  }
  return " (should APIG refuse a second certificate, " + bound +
         " is kept and the bind fails: it is not ours and drift = \"report\")";
}

// What an attach does with the certificate it supersedes on the domain.
std::string attach_note(const TargetPlan& plan, bool nothing_bound) {
  if (nothing_bound) {
    return "";
  }
  const std::string bound =
      "'" + (plan.bound_name.empty() ? plan.bound_ssl_id : plan.bound_name) + "'";
  if (plan.make_room == MakeRoom::Refuse) {
    return "; " + bound +
           " is not ours and drift = \"report\": it is never detached (should APIG refuse a "
           "second certificate, the attach fails)";
  }
  return ", then detaching " + bound + " from the domain" +
         (plan.bound_is_ours ? " (ours: deleted once no domain uses it)"
                             : " (not ours: the object stays)");
}

std::string binding_reason(const TargetInput& input, const TargetPlan& plan, bool nothing_bound) {
  if (plan.reason.empty() && !plan.bound_name.empty() && plan.bound_name == plan.certificate_name &&
      !in_sync(input, plan)) {
    std::string ids;
    for (const std::string& id : lagging_entries(input, plan)) {
      ids += (ids.empty() ? "" : ", ") + id;
    }
    return "'" + plan.certificate_name + "' is bound, but not on the domain's port entries " + ids +
           " (one entry per custom inbound port)";
  }
  return !plan.reason.empty()   ? plan.reason
         : nothing_bound        ? "nothing bound yet"
         : in_sync(input, plan) ? "in sync, binding again (--force)"
                                : "replacing '" + plan.bound_name + "'";
}

TargetPlan decide(const TargetInput& input, const PlanInput& all) {
  const settings::BindingSettings& binding = *input.binding;
  TargetPlan plan;
  plan.key = state::target_key(binding.name, input.target->instance_id, input.target->group_id,
                               input.target->domain, input.target->domain_id);
  if (std::optional<TargetPlan> invalid = check_disk(input, plan)) {
    return *invalid;
  }
  const DiskCertificate& disk = *input.disk->certificate;
  plan.certificate_name = disk.name;
  plan.sha256 = disk.sha256;
  plan.warnings = disk.warnings;
  const long days_left = days_until(all.now, disk.not_after);
  if (all.now + all.settings->daemon.renew_warning > disk.not_after) {
    plan.warnings.push_back("the certificate on disk expires in " + std::to_string(days_left) +
                            " days (" + format_utc_iso8601(disk.not_after) +
                            "): is the ACME client renewing it?");
  }
  if (std::optional<TargetPlan> unknown = check_remote(input, plan)) {
    return *unknown;
  }
  fill_bound(input, plan);
  const bool drift_repair = all.settings->daemon.drift == settings::DriftPolicy::Repair;
  plan.make_room = room_policy(input, plan, drift_repair);

  if (in_sync(input, plan) && !all.options.force) {
    plan.action = Action::None;
    plan.reason = "in sync: '" + plan.certificate_name + "' is bound";
    return plan;
  }
  if (all.options.mode == PlanMode::Daemon) {
    if (std::optional<TargetPlan> waiting = check_backoff(input, all.now, plan)) {
      return *waiting;
    }
  }
  const bool nothing_bound = plan.bound_ssl_id.empty() && plan.bound_name.empty();
  if (std::optional<TargetPlan> drift = check_drift(input, drift_repair, plan)) {
    return *drift;
  }
  // Bound here but not on every port entry: only those are written, by bind or attach.
  const bool bound_here = !plan.bound_name.empty() && plan.bound_name == plan.certificate_name;
  if (!nothing_bound && !all.options.force && !bound_here) {
    if (std::optional<TargetPlan> older = check_downgrade(input, plan)) {
      return *older;
    }
  }
  const std::string why = binding_reason(input, plan, nothing_bound);
  const bool update = binding.strategy == settings::Strategy::Update &&
                      !plan.bound_ssl_id.empty() && plan.bound_is_ours && !bound_here;
  const bool attach = binding.strategy == settings::Strategy::Attach;
  if (std::optional<TargetPlan> mtls = check_client_verification(input, plan, update || attach)) {
    return *mtls;
  }
  if (attach) {
    plan.action = Action::Attach;
    plan.reason = why + ": attaching '" + plan.certificate_name +
                  "' (one certificate object on instance '" + input.target->instance_id +
                  "' for the binding's targets there, created once)" +
                  attach_note(plan, nothing_bound);
    return plan;
  }
  if (update) {
    plan.action = Action::Update;
    plan.reason = why + ": rewriting certificate object " + plan.bound_ssl_id + " in place as '" +
                  plan.certificate_name + "'";
    return plan;
  }
  plan.action = Action::Bind;
  plan.reason = why + ": binding '" + plan.certificate_name + "'" + room_note(plan, nothing_bound);
  return plan;
}

}  // namespace

std::string_view to_string(Action action) {
  switch (action) {
    case Action::None:
      return "none";
    case Action::Bind:
      return "bind";
    case Action::Update:
      return "update";
    case Action::Attach:
      return "attach";
    case Action::Skip:
      return "skip";
    case Action::Refuse:
      return "refuse";
    case Action::ReportDrift:
      return "drift";
    case Action::Wait:
      return "wait";
  }
  return "unknown";
}

bool same_name_prefix(std::string_view name, std::string_view desired) {
  if (!has_our_suffix(name) || !has_our_suffix(desired)) {
    return false;
  }
  return name.substr(0, name.size() - kNameSuffixLength) ==
         desired.substr(0, desired.size() - kNameSuffixLength);
}

std::optional<SystemTime> date_from_name(std::string_view name) {
  if (!has_our_suffix(name)) {
    return std::nullopt;
  }
  const std::string_view date = name.substr(name.size() - kNameSuffixLength + 1, 8);
  const std::string text = std::string(date.substr(0, 4)) + "-" + std::string(date.substr(4, 2)) +
                           "-" + std::string(date.substr(6, 2)) + "T00:00:00Z";
  Result<SystemTime> parsed = parse_utc_iso8601(text);
  if (!parsed) {
    return std::nullopt;
  }
  return *parsed;
}

namespace {

// Two bindings may share a domain when their keys take different slots of its certificate
// set (an RSA and an ECC lineage); two of one algorithm would replace each other's
// certificate on every pass, so neither is written until the config or the files change.
void refuse_shared_slots(const PlanInput& input, std::vector<TargetPlan>& plans) {
  std::map<std::string, std::vector<std::size_t>> by_slot;
  for (std::size_t i = 0; i < input.targets.size(); ++i) {
    const TargetInput& target = input.targets[i];
    if (target.disk == nullptr || !target.disk->certificate ||
        target.disk->certificate->algorithm == apig::CertificateAlgorithm::Unknown) {
      continue;
    }
    const std::string& domain_id =
        target.remote.domain_id.empty() ? target.target->domain_id : target.remote.domain_id;
    const std::string domain =
        domain_id.empty() ? ascii_lower(target.target->domain) : "id:" + domain_id;
    by_slot[target.target->instance_id + "/" + target.target->group_id + "/" + domain + "/" +
            std::string(apig::to_string(target.disk->certificate->algorithm))]
        .push_back(i);
  }
  for (const auto& [slot, indices] : by_slot) {
    if (indices.size() < 2) {
      continue;
    }
    std::string names;
    for (const std::size_t i : indices) {
      names += (names.empty() ? "'" : ", '") + input.targets[i].binding->name + "'";
    }
    for (const std::size_t i : indices) {
      const TargetInput& target = input.targets[i];
      plans[i] = skip(std::move(plans[i]),
                      "bindings " + names + " all hold an " +
                          std::string(apig::to_string(target.disk->certificate->algorithm)) +
                          " key for '" + target_label(*target.target) +
                          "', whose certificate set has one slot per algorithm: they would "
                          "replace each other's certificate; keep one of them on this domain",
                      false);
    }
  }
}

}  // namespace

std::vector<TargetPlan> plan(const PlanInput& input) {
  std::vector<TargetPlan> plans;
  plans.reserve(input.targets.size());
  for (const TargetInput& target : input.targets) {
    plans.push_back(decide(target, input));
  }
  refuse_shared_slots(input, plans);
  return plans;
}

std::string target_label(const settings::TargetSettings& target) {
  return target.domain.empty() ? "domain_id " + target.domain_id : target.domain;
}

}  // namespace apig_certd::engine
