// `apig-certd status`.
//
// Read-only: no lock is taken (a reader never blocks a renewal), nothing is created or
// moved, and no certificate or key file is opened: the fingerprint and expiry of the
// certificate on disk are the ones the last pass recorded, which is what "what the state
// file says" means (DESIGN.md §2). Targets are listed in config order; state entries for
// targets no longer in the config are listed after them, marked as such.
//
// The --json schema (version 1) is documented in the README and kept stable: fields are only
// ever added.

#include "daemon/app/status_command.h"

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/app/exit_code.h"
#include "daemon/app/load_config.h"
#include "daemon/core/time_format.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"
#include "daemon/state/state_store.h"

namespace apig_certd::app {

namespace {

using nlohmann::ordered_json;

std::string_view cname_text(int status) {
  switch (status) {
    case 1:
      return "not resolved";
    case 2:
      return "resolving";
    case 3:
      return "resolved";
    case 4:
      return "resolution failed";
    default:
      return "unknown";
  }
}

struct Row {
  const state::TargetState* entry = nullptr;  // nullptr: never synced
  std::string binding;
  std::string instance_id;
  std::string group_id;
  std::string domain;
  std::string domain_id;
  bool in_config = true;
};

std::string result_token(const state::TargetState& entry) {
  return entry.last_result ? std::string(state::token(*entry.last_result)) : std::string();
}

bool row_ok(const Row& row) {
  return row.entry != nullptr && (row.entry->last_result == state::TargetResult::Bound ||
                                  row.entry->last_result == state::TargetResult::InSync);
}

ordered_json time_or_null(const std::optional<SystemTime>& time) {
  return time ? ordered_json(format_utc_iso8601(*time)) : ordered_json(nullptr);
}

ordered_json row_json(const Row& row, SystemTime now) {
  ordered_json target = {{"binding", row.binding},     {"instance_id", row.instance_id},
                         {"group_id", row.group_id},   {"domain", row.domain},
                         {"domain_id", row.domain_id}, {"in_config", row.in_config}};
  const state::TargetState* entry = row.entry;
  if (entry == nullptr) {
    target["last_result"] = "never_synced";
    return target;
  }
  target["domain_id"] = entry->domain_id.empty() ? row.domain_id : entry->domain_id;
  target["disk"] = {
      {"sha256", entry->disk_sha256},
      {"not_after", time_or_null(entry->disk_not_after)},
      {"days_left", entry->disk_not_after ? ordered_json(days_until(now, *entry->disk_not_after))
                                          : ordered_json(nullptr)}};
  target["bound"] = {{"name", entry->bound_name},
                     {"ssl_id", entry->ssl_id},
                     {"sha256", entry->bound_sha256},
                     {"at", time_or_null(entry->bound_at)},
                     {"not_after", time_or_null(entry->bound_not_after)}};
  target["cname_status"] = entry->cname_status;
  target["cname"] = cname_text(entry->cname_status);
  // verify = true: the fingerprint a TLS probe last saw served (null: never probed).
  target["verified"] = entry->verified_sha256.empty()
                           ? ordered_json(nullptr)
                           : ordered_json{{"sha256", entry->verified_sha256},
                                          {"at", time_or_null(entry->verified_at)}};
  target["last_result"] = result_token(*entry);
  target["last_attempt"] = time_or_null(entry->last_attempt);
  if (entry->last_error) {
    target["last_error"] = {{"code", entry->last_error->code},
                            {"message", entry->last_error->message},
                            {"at", format_utc_iso8601(entry->last_error->at)}};
  } else {
    target["last_error"] = nullptr;
  }
  target["consecutive_failures"] = entry->consecutive_failures;
  target["next_attempt"] = time_or_null(entry->next_attempt);
  return target;
}

std::vector<std::string> row_text(const Row& row, SystemTime now) {
  std::vector<std::string> lines;
  lines.push_back("binding '" + row.binding + "' -> " +
                  (row.domain.empty() ? "domain_id " + row.domain_id : row.domain) + " (instance " +
                  row.instance_id + ", group " + row.group_id + ")" +
                  (row.in_config ? "" : " [no longer in the config]"));
  const state::TargetState* entry = row.entry;
  if (entry == nullptr) {
    lines.emplace_back("  never synced: run 'apig-certd sync'");
    return lines;
  }
  if (entry->disk_not_after) {
    lines.push_back("  on disk:  sha256 " + entry->disk_sha256.substr(0, 16) + "..., expires " +
                    format_utc_iso8601(*entry->disk_not_after) + " (" +
                    std::to_string(days_until(now, *entry->disk_not_after)) + " days left)");
  } else {
    lines.emplace_back("  on disk:  unknown (the certificate could not be loaded)");
  }
  if (!entry->ssl_id.empty()) {
    lines.push_back("  bound:    '" + entry->bound_name + "' (ssl_id " + entry->ssl_id + ")" +
                    (entry->bound_at ? " since " + format_utc_iso8601(*entry->bound_at) : ""));
  } else {
    lines.emplace_back("  bound:    nothing by apig-certd");
  }
  lines.push_back("  CNAME:    " + std::string(cname_text(entry->cname_status)));
  if (!entry->verified_sha256.empty()) {
    // verify = true: what the last successful TLS probe saw served.
    lines.push_back("  verified: sha256 " + entry->verified_sha256.substr(0, 16) + "... served" +
                    (entry->verified_at ? " at " + format_utc_iso8601(*entry->verified_at) : "") +
                    (entry->verified_sha256 == entry->bound_sha256
                         ? ""
                         : "; the bound certificate is not verified yet"));
  }
  lines.push_back("  last:     " + result_token(*entry) +
                  (entry->last_attempt
                       ? " (last write " + format_utc_iso8601(*entry->last_attempt) + ")"
                       : ""));
  if (entry->last_error) {
    lines.push_back("  error:    " + entry->last_error->code + ": " + entry->last_error->message +
                    " (" + format_utc_iso8601(entry->last_error->at) + ", " +
                    std::to_string(entry->consecutive_failures) + " in a row)");
  }
  if (entry->next_attempt) {
    lines.push_back("  next:     not before " + format_utc_iso8601(*entry->next_attempt));
  }
  return lines;
}

// The configured targets in configuration order, then the state's entries for targets no
// longer configured.
std::vector<Row> collect_rows(const settings::Settings& config, const state::State& current) {
  std::vector<Row> rows;
  std::set<std::string> configured;
  for (const settings::BindingSettings& binding : config.bindings) {
    for (const settings::TargetSettings& target : binding.targets) {
      const std::string key = state::target_key(binding.name, target.instance_id, target.group_id,
                                                target.domain, target.domain_id);
      configured.insert(key);
      const auto found = current.targets.find(key);
      rows.push_back({found == current.targets.end() ? nullptr : &found->second, binding.name,
                      target.instance_id, target.group_id, target.domain, target.domain_id, true});
    }
  }
  for (const auto& [key, entry] : current.targets) {
    if (!configured.contains(key)) {
      rows.push_back({&entry, entry.binding, entry.instance_id, entry.group_id, entry.domain,
                      entry.domain_id, false});
    }
  }
  return rows;
}

}  // namespace

int run_status(const CommandLine& line, const Environment& environment, const Clock& clock,
               const Output& output) {
  std::optional<settings::Settings> config = load_config_or_report(line, environment, output, "");
  if (!config) {
    return kExitConfig;
  }
  const std::filesystem::path file = config->daemon.state_dir / "state.json";
  state::State current;
  bool readable = true;
  bool exists = true;
  Result<state::State> loaded = state::read_state_file(file);
  if (loaded) {
    current = std::move(*loaded);
  } else if (loaded.error().code() == ErrorCode::NotFound) {
    exists = false;
  } else if (loaded.error().code() == ErrorCode::ParseError) {
    print_line(output.err, "apig-certd: the state file is corrupt (" + loaded.error().to_string() +
                               "); the next sync rebuilds it");
    readable = false;
  } else {
    print_line(output.err, "apig-certd: " + loaded.error().to_string());
    readable = false;
  }

  const std::vector<Row> rows = collect_rows(*config, current);
  const SystemTime now = clock.now();
  bool all_ok = readable;
  for (const Row& row : rows) {
    all_ok = all_ok && (!row.in_config || row_ok(row));
  }
  if (line.json) {
    ordered_json document = {{"version", 1},
                             {"state_file", file.string()},
                             {"generated_at", format_utc_iso8601(now)},
                             {"targets", ordered_json::array()}};
    for (const Row& row : rows) {
      document["targets"].push_back(row_json(row, now));
    }
    print_line(output.out, document.dump(2));
  } else {
    if (!exists) {
      print_line(output.out,
                 "no state yet ('" + file.string() + "' does not exist): run 'apig-certd sync'");
    }
    for (const Row& row : rows) {
      for (const std::string& text_line : row_text(row, now)) {
        print_line(output.out, text_line);
      }
    }
  }
  return all_ok ? kExitOk : kExitFailed;
}

}  // namespace apig_certd::app
