#include "daemon/app/daemon_report.h"

#include <array>
#include <ctime>

namespace apig_certd::app {

namespace {

using service::LogLevel;

const state::TargetState* find(const state::State& state, const std::string& key) {
  const auto found = state.targets.find(key);
  return found == state.targets.end() ? nullptr : &found->second;
}

std::vector<service::LogField> fields_of(const engine::TargetOutcome& outcome,
                                         const state::TargetState* entry) {
  std::vector<service::LogField> fields{
      {"BINDING", outcome.binding}, {"DOMAIN", outcome.target}, {"GROUP_ID", outcome.group_id}};
  if (entry != nullptr) {
    const std::string& sha = entry->disk_sha256.empty() ? entry->bound_sha256 : entry->disk_sha256;
    if (!sha.empty()) {
      fields.push_back({"CERT_SHA256", sha});
    }
    if (!entry->ssl_id.empty()) {
      fields.push_back({"SSL_ID", entry->ssl_id});
    }
    if (entry->last_error && state::is_failure(outcome.result)) {
      fields.push_back({"APIG_ERROR_CODE", entry->last_error->code});
    }
  }
  return fields;
}

std::string hour_minute_utc(SystemTime at) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  std::tm parts{};
  ::gmtime_r(&seconds, &parts);
  std::array<char, 16> text{};
  std::strftime(text.data(), text.size(), "%H:%M", &parts);
  return std::string(text.data()) + " UTC";
}

}  // namespace

std::vector<LogLine> describe_pass(const engine::ReconcileReport& report,
                                   const state::State& before, const state::State& after) {
  std::vector<LogLine> lines;
  for (const engine::TargetOutcome& outcome : report.outcomes) {
    const state::TargetState* old_entry = find(before, outcome.key);
    const state::TargetState* entry = find(after, outcome.key);
    const std::vector<service::LogField> fields = fields_of(outcome, entry);
    const std::string subject = "binding '" + outcome.binding + "' -> " + outcome.target +
                                " (group " + outcome.group_id + ")";
    for (const std::string& warning : outcome.warnings) {
      lines.push_back({LogLevel::Warn, subject + ": " + warning, fields});
    }
    const bool written = entry != nullptr && entry->bound_at &&
                         (old_entry == nullptr || old_entry->bound_at != entry->bound_at);
    const bool changed =
        old_entry == nullptr || entry == nullptr || old_entry->last_result != entry->last_result ||
        old_entry->cname_status != entry->cname_status ||
        old_entry->verified_sha256 != entry->verified_sha256 || outcome.deleted > 0;
    LogLevel level = LogLevel::Info;
    std::string result(state::words(outcome.result));
    if (state::is_failure(outcome.result)) {
      level = LogLevel::Error;
    } else if (written) {
      result = "bound";
    } else if (!changed) {
      level = LogLevel::Debug;
    }
    lines.push_back({level, result + ": " + subject + ": " + outcome.detail, fields});
  }
  return lines;
}

std::string status_line(const settings::Settings& config, const state::State& state,
                        std::optional<SystemTime> next, SystemTime now) {
  int targets = 0;
  int in_sync = 0;
  int resolving = 0;
  int failed = 0;
  int pending = 0;
  int expiring = 0;
  for (const settings::BindingSettings& binding : config.bindings) {
    for (const settings::TargetSettings& target : binding.targets) {
      ++targets;
      const state::TargetState* entry =
          find(state, state::target_key(binding.name, target.instance_id, target.group_id,
                                        target.domain, target.domain_id));
      if (entry == nullptr || !entry->last_result) {
        ++pending;
        continue;
      }
      if (entry->disk_not_after && *entry->disk_not_after < now + config.daemon.renew_warning) {
        ++expiring;
      }
      if (entry->last_result == state::TargetResult::InSync ||
          entry->last_result == state::TargetResult::Bound) {
        ++in_sync;
      } else if (entry->last_result == state::TargetResult::Resolving) {
        ++resolving;
      } else {
        ++failed;
      }
    }
  }
  std::string line = std::to_string(targets) + (targets == 1 ? " target: " : " targets: ") +
                     std::to_string(in_sync) + " in sync";
  if (resolving > 0) {
    line += ", " + std::to_string(resolving) + " resolving";
  }
  if (failed > 0) {
    line += ", " + std::to_string(failed) + " failed";
  }
  if (pending > 0) {
    line += ", " + std::to_string(pending) + " pending";
  }
  if (expiring > 0) {
    line += "; " + std::to_string(expiring) + " expiring";
  }
  if (next) {
    line += "; next check " + hour_minute_utc(*next);
  }
  return line;
}

}  // namespace apig_certd::app
