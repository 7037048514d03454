// `apig-certd check`: everything that can be known without the network.
//
// Order: the config (exit 78 if invalid: nothing else makes sense then), the credentials
// (each secret source is read once to prove it is there and non-empty, then wiped; the value
// is never printed), then every binding's certificate bundle, once per binding, and every
// target against it. A bundle problem applies to all targets of the binding, so each target
// line carries the full story: an operator reading one line knows what to fix.
//
// stdout gets exactly one line per target, "OK ..." or "FAIL ...", plus a "FAIL auth: ..." line
// when credentials are unusable; warnings that do not make a target fail (a certificate
// expiring within renew_warning, a key file readable by others) ride on the target's line.
// The summary and config warnings go to stderr.

#include "daemon/app/check_command.h"

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/app/exit_code.h"
#include "daemon/cert/bundle.h"
#include "daemon/core/time_format.h"
#include "daemon/settings/settings.h"
#include "daemon/settings/settings_loader.h"

namespace apig_certd::app {

namespace {

using settings::BindingSettings;
using settings::SecretSource;
using settings::Settings;
using settings::TargetSettings;

void print_line(std::FILE* stream, const std::string& line) {
  std::fputs(line.c_str(), stream);
  std::fputc('\n', stream);
}

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

// Reads every configured secret once, to prove it can be read and is not empty.
std::vector<std::string> check_credentials(const Settings& config,
                                           const Environment& environment) {
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

struct TargetVerdict {
  bool ok = true;
  std::string line;
};

// The verdict for every target of one binding: the bundle is loaded and checked once.
std::vector<TargetVerdict> check_binding(const Settings& config, const BindingSettings& binding,
                                         SystemTime now) {
  std::vector<TargetVerdict> verdicts;
  Result<cert::Bundle> bundle = cert::load_bundle({binding.cert, binding.key});
  if (!bundle) {
    const std::string why = bundle.error().to_string();
    for (const TargetSettings& target : binding.targets) {
      verdicts.push_back({false, "FAIL " + describe_target(binding, target) + ": " + why});
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
  const std::string name = cert::certificate_name(binding.cert_name, *bundle);
  for (const TargetSettings& target : binding.targets) {
    std::vector<std::string> target_errors = errors;
    if (!target.domain.empty()) {
      if (std::optional<cert::Problem> problem = cert::check_domain(*bundle, target.domain)) {
        target_errors.push_back(describe_problem(*problem));
      }
    }
    TargetVerdict verdict;
    verdict.ok = target_errors.empty();
    if (verdict.ok) {
      verdict.line = "OK   " + describe_target(binding, target) + ": certificate " + name + " (" +
                     std::string(cert::to_string(bundle->key_type())) + " " +
                     std::to_string(bundle->key_bits()) + ", expires " +
                     format_utc_iso8601(bundle->not_after()) + ", " + std::to_string(days_left) +
                     " days left)";
    } else {
      verdict.line = "FAIL " + describe_target(binding, target) + ": " + join(target_errors, "; ");
    }
    if (!warnings.empty()) {
      verdict.line += "; warning: " + join(warnings, "; ");
    }
    verdicts.push_back(std::move(verdict));
  }
  return verdicts;
}

}  // namespace

int run_check(const CommandLine& line, const Environment& environment, const Clock& clock,
              const Output& output) {
  Result<Settings> config = settings::load_settings(line.config, environment);
  if (!config) {
    print_line(output.err, config.error().to_string());
    print_line(output.err, "apig-certd: the configuration is invalid; nothing was checked");
    return kExitConfig;
  }
  for (const std::string& warning : config->warnings) {
    print_line(output.err, "warning: " + warning);
  }

  int failed = 0;
  int total = 0;
  for (const std::string& failure : check_credentials(*config, environment)) {
    print_line(output.out, "FAIL auth: " + failure);
    ++failed;
  }
  const SystemTime now = clock.now();
  for (const BindingSettings& binding : config->bindings) {
    for (const TargetVerdict& verdict : check_binding(*config, binding, now)) {
      print_line(output.out, verdict.line);
      ++total;
      failed += verdict.ok ? 0 : 1;
    }
  }
  std::fflush(output.out);

  if (line.online) {
    print_line(output.err,
               "apig-certd: check --online is not available in this build yet (it needs the "
               "APIG client); only the offline checks above ran");
    return kExitFailed;
  }
  print_line(output.err, "check: " + std::to_string(total) + " target(s), " +
                             std::to_string(total - std::min(failed, total)) + " OK, " +
                             std::to_string(failed) + " problem(s)");
  return failed == 0 ? kExitOk : kExitFailed;
}

}  // namespace apig_certd::app
