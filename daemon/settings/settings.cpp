// The small vocabulary of settings.h: how locations and enum values are spelt.
//
// The enum spellings are the config's own words, so a message or `status` output can be
// pasted back into the config file.

#include "daemon/settings/settings.h"

namespace apig_certd::settings {

std::string to_string(const SourceLocation& location) {
  if (location.line <= 0) {
    return location.file;
  }
  return location.file + ":" + std::to_string(location.line) + ":" +
         std::to_string(location.column);
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Trace:
      return "trace";
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

std::string_view to_string(DriftPolicy policy) {
  return policy == DriftPolicy::Report ? "report" : "repair";
}

std::string_view to_string(Strategy strategy) {
  switch (strategy) {
    case Strategy::Update:
      return "update";
    case Strategy::Attach:
      return "attach";
    case Strategy::Replace:
      break;
  }
  return "replace";
}

std::string_view to_string(AuthMethod method) {
  switch (method) {
    case AuthMethod::AkSk:
      return "aksk";
    case AuthMethod::Token:
      return "token";
    case AuthMethod::Password:
      return "password";
  }
  return "aksk";
}

std::string_view to_string(NotifyEvent event) {
  switch (event) {
    case NotifyEvent::Bound:
      return "bound";
    case NotifyEvent::Failed:
      return "failed";
    case NotifyEvent::Recovered:
      return "recovered";
    case NotifyEvent::Expiring:
      return "expiring";
    case NotifyEvent::Drift:
      return "drift";
  }
  return "failed";
}

std::size_t target_count(const Settings& config) {
  std::size_t count = 0;
  for (const BindingSettings& binding : config.bindings) {
    count += binding.targets.size();
  }
  return count;
}

}  // namespace apig_certd::settings
