// `apig-certd check`: everything that can be known without changing anything.
//
// Order: the config (exit 78 if invalid: nothing else makes sense then), the credentials
// (each secret source is read once to prove it is there and non-empty, then wiped; the value
// is never printed), then every binding's certificate bundle, once per binding, and every
// target against it. A bundle problem applies to all targets of the binding, so each target
// line carries the full story: an operator reading one line knows what to fix. With
// --online, each API group is read once (whatever the number of its targets), each target's
// domain is found in it, and what is bound there now is reported.
//
// stdout gets exactly one line per target, "OK ..." or "FAIL ...", plus a "FAIL auth: ..." line
// when credentials are unusable; warnings that do not make a target fail (a certificate
// expiring within renew_warning, a key file readable by others) ride on the target's line.
// The summary and config warnings go to stderr.

#include "daemon/app/check_command.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/app/apig_session.h"
#include "daemon/app/exit_code.h"
#include "daemon/app/load_config.h"
#include "daemon/cert/bundle.h"
#include "daemon/cert/certificate_name.h"
#include "daemon/cert/checks.h"
#include "daemon/core/time_format.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

namespace {

using settings::BindingSettings;
using settings::SecretSource;
using settings::Settings;
using settings::TargetSettings;

std::string describe_target(const BindingSettings& binding, const TargetSettings& target) {
  std::string text = "binding '" + binding.name + "' -> ";
  text += target.domain.empty() ? "domain_id " + target.domain_id : target.domain;
  text += " (group " + target.group_id + ")";
  return text;
}

std::string describe_problem(const cert::Problem& problem) {
  std::string text = problem.message;
  if (!problem.apig_code.empty()) {
    text += " [" + problem.apig_code + "]";
  }
  return text;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) {
      text += separator;
    }
    text += part;
  }
  return text;
}

// What check found out about one target; rendered as one line at the end.
struct TargetVerdict {
  const BindingSettings* binding = nullptr;
  const TargetSettings* target = nullptr;
  std::vector<std::string> errors;
  std::vector<std::string> facts;  // Shown when OK.
  std::vector<std::string> warnings;

  [[nodiscard]] bool ok() const { return errors.empty(); }
  [[nodiscard]] std::string render() const {
    std::string line = (ok() ? "OK   " : "FAIL ") + describe_target(*binding, *target) + ": " +
                       join(ok() ? facts : errors, "; ");
    if (!warnings.empty()) {
      line += "; warning: " + join(warnings, "; ");
    }
    return line;
  }
};

// Reads every configured secret once, to prove it can be read and is not empty.
std::vector<std::string> check_credentials(const Settings& config, const Environment& environment) {
  std::vector<std::string> failures;
  const auto check = [&](const std::optional<SecretSource>& source) {
    if (!source) {
      return;
    }
    Result<Secret> secret = settings::read_secret(*source, environment);
    if (!secret) {
      failures.push_back(secret.error().to_string());
    } else if (secret->empty()) {
      failures.push_back(source->description + " is empty");
    }
  };
  check(config.auth.access_key);
  check(config.auth.secret_key);
  check(config.auth.security_token);
  check(config.auth.token);
  check(config.auth.password);
  return failures;
}

// The offline verdict for every target of one binding: the bundle is loaded and checked once.
std::vector<TargetVerdict> check_binding(const Settings& config, const BindingSettings& binding,
                                         SystemTime now) {
  std::vector<TargetVerdict> verdicts;
  for (const TargetSettings& target : binding.targets) {
    verdicts.push_back(TargetVerdict{&binding, &target, {}, {}, {}});
  }
  Result<cert::Bundle> bundle = cert::load_bundle({binding.cert, binding.key});
  if (!bundle) {
    for (TargetVerdict& verdict : verdicts) {
      verdict.errors.push_back(bundle.error().to_string());
    }
    return verdicts;
  }
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  const auto sort_problem = [&](const cert::Problem& problem) {
    (problem.severity == cert::Severity::Error ? errors : warnings)
        .push_back(describe_problem(problem));
  };
  for (const cert::Problem& problem : bundle->load_warnings()) {
    sort_problem(problem);
  }
  for (const cert::Problem& problem : cert::check_bundle(*bundle, now)) {
    sort_problem(problem);
  }
  const long days_left = days_until(now, bundle->not_after());
  if (errors.empty() && now + config.daemon.renew_warning > bundle->not_after()) {
    warnings.push_back("expires in " + std::to_string(days_left) +
                       " days, within renew_warning: is the ACME client renewing it?");
  }
  const std::string fact = "certificate " + cert::certificate_name(binding.cert_name, *bundle) +
                           " (" + std::string(cert::to_string(bundle->key_type())) + " " +
                           std::to_string(bundle->key_bits()) + ", expires " +
                           format_utc_iso8601(bundle->not_after()) + ", " +
                           std::to_string(days_left) + " days left)";
  for (TargetVerdict& verdict : verdicts) {
    verdict.errors = errors;
    verdict.warnings = warnings;
    verdict.facts.push_back(fact);
    if (!verdict.target->domain.empty()) {
      if (std::optional<cert::Problem> problem =
              cert::check_domain(*bundle, verdict.target->domain)) {
        verdict.errors.push_back(describe_problem(*problem));
      }
    }
  }
  return verdicts;
}

std::string_view describe_cname(apig::CnameStatus status) {
  switch (status) {
    case apig::CnameStatus::NotResolved:
      return "CNAME not resolved";
    case apig::CnameStatus::Resolving:
      return "CNAME resolving";
    case apig::CnameStatus::Resolved:
      return "CNAME resolved";
    case apig::CnameStatus::Failed:
      return "CNAME resolution failed";
    case apig::CnameStatus::Unknown:
      break;
  }
  return "CNAME status unknown";
}

// An mTLS domain is written only with its CA (DESIGN.md §4 step 5): say so before a renewal
// finds out.
void check_client_verification(const apig::UrlDomain& domain, TargetVerdict& verdict) {
  if (!domain.uses_client_verification()) {
    return;
  }
  if (verdict.target->client_ca.empty()) {
    verdict.errors.push_back(
        "online: the domain verifies client certificates (mTLS), and a renewal without its CA "
        "would switch that off, so none will be written: set client_ca = \"PATH\" on this "
        "target (the CA bundle to keep trusting) and strategy = \"update\" or \"attach\" on "
        "binding '" +
        verdict.binding->name + "'");
    return;
  }
  verdict.facts.emplace_back(
      "online: verifies client certificates (mTLS); client_ca is sent with every write");
}

// Adds what APIG says about each target: its domain_id and what is bound there now.
void check_online(ApigSession& session, std::vector<TargetVerdict>& verdicts) {
  std::map<std::pair<std::string, std::string>, Result<apig::Group>> groups;
  for (TargetVerdict& verdict : verdicts) {
    const TargetSettings& target = *verdict.target;
    const auto key = std::make_pair(target.instance_id, target.group_id);
    auto found = groups.find(key);
    if (found == groups.end()) {
      found = groups.emplace(key, session.client().get_group(target.instance_id, target.group_id))
                  .first;
    }
    const Result<apig::Group>& group = found->second;
    if (!group) {
      verdict.errors.push_back("online: " + group.error().to_string());
      continue;
    }
    const apig::UrlDomain* domain = target.domain_id.empty()
                                        ? group->find_domain_by_name(target.domain)
                                        : group->find_domain_by_id(target.domain_id);
    if (domain == nullptr) {
      verdict.errors.push_back(
          "online: the domain is not bound to API group '" + target.group_id +
          "': bind it to the group in APIG first, or fix the target's domain/domain_id");
      continue;
    }
    std::string bound = domain->ssl_name;
    if (bound.empty() && !domain->ssl_infos.empty()) {
      bound = domain->ssl_infos.front().ssl_name;
    }
    verdict.facts.push_back("online: domain_id " + domain->id + ", " +
                            std::string(describe_cname(domain->cname_status)) + ", " +
                            (bound.empty() ? "no certificate bound" : "serving '" + bound + "'"));
    check_client_verification(*domain, verdict);
  }
}

// --online: the checks against APIG, or on every verdict the reason they did not run.
void check_online(const Settings& config, const Environment& environment, const Clock& clock,
                  bool credentials_usable, std::vector<TargetVerdict>& verdicts) {
  std::string not_run = "online: not checked, the credentials are unusable";
  if (credentials_usable) {
    Result<std::unique_ptr<ApigSession>> session = ApigSession::create(config, environment, clock);
    if (session) {
      check_online(**session, verdicts);
      return;
    }
    not_run = "online: " + session.error().to_string();
  }
  for (TargetVerdict& verdict : verdicts) {
    verdict.errors.push_back(not_run);
  }
}

}  // namespace

int run_check(const CommandLine& line, const Environment& environment, const Clock& clock,
              const Output& output) {
  std::optional<Settings> config =
      load_config_or_report(line, environment, output, "; nothing was checked");
  if (!config) {
    return kExitConfig;
  }
  for (const std::string& warning : config->warnings) {
    print_line(output.err, "warning: " + warning);
  }

  int failed = 0;
  const std::vector<std::string> credential_failures = check_credentials(*config, environment);
  for (const std::string& failure : credential_failures) {
    print_line(output.out, "FAIL auth: " + failure);
    ++failed;
  }
  const SystemTime now = clock.now();
  std::vector<TargetVerdict> verdicts;
  for (const BindingSettings& binding : config->bindings) {
    for (TargetVerdict& verdict : check_binding(*config, binding, now)) {
      verdicts.push_back(std::move(verdict));
    }
  }
  if (line.online) {
    check_online(*config, environment, clock, credential_failures.empty(), verdicts);
  }
  int ok = 0;
  for (const TargetVerdict& verdict : verdicts) {
    print_line(output.out, verdict.render());
    ok += verdict.ok() ? 1 : 0;
  }
  std::fflush(output.out);
  const auto total = static_cast<int>(verdicts.size());
  failed += total - ok;
  print_line(output.err, "check: " + std::to_string(total) + " target(s), " + std::to_string(ok) +
                             " OK" + (line.online ? " (online)" : "") + ", " +
                             std::to_string(failed) + " problem(s)");
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace apig_certd::app
