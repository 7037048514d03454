#pragma once

// The pieces of the config loader, shared by settings_loader.cpp (file, top level, [daemon],
// [apig], [poll], [retry], [[notify]]), auth_loader.cpp ([auth] and secret files) and
// binding_loader.cpp ([[binding]], [[binding.target]]). Internal to settings/.

#include <array>
#include <filesystem>
#include <span>
#include <string_view>

#include <toml++/toml.h>

#include "daemon/core/environment.h"
#include "daemon/settings/diagnostics.h"
#include "daemon/settings/settings.h"
#include "daemon/settings/toml_reader.h"

namespace apig_certd::settings {

// What every section reader needs besides its table.
struct LoadContext {
  Diagnostics& diagnostics;
  const Environment& environment;
  std::filesystem::path base_directory;  // The config file's directory, absolute.
};

// The schema of DESIGN.md §3: the keys each table accepts.
inline constexpr std::array<std::string_view, 7> kTopLevelKeys{"daemon", "apig",    "auth",  "poll",
                                                               "retry",  "binding", "notify"};
inline constexpr std::array<std::string_view, 9> kDaemonKeys{
    "state_dir",    "rescan_interval", "debounce", "renew_warning", "concurrency",
    "metrics_file", "log_level",       "drift",    "jitter"};
inline constexpr std::array<std::string_view, 6> kApigKeys{"region",  "endpoint", "project_id",
                                                           "ca_file", "timeout",  "insecure_http"};
inline constexpr std::array<std::string_view, 9> kAuthKeys{
    "method",       "access_key_file", "secret_key_file", "security_token_file",
    "token_file",   "iam_endpoint",    "domain",          "user",
    "password_file"};
inline constexpr std::array<std::string_view, 2> kPollKeys{"interval", "timeout"};
inline constexpr std::array<std::string_view, 2> kRetryKeys{"initial", "max"};
inline constexpr std::array<std::string_view, 9> kBindingKeys{
    "name",     "lineage", "cert",          "key",   "cert_name",
    "strategy", "cleanup", "keep_previous", "target"};
inline constexpr std::array<std::string_view, 8> kTargetKeys{
    "instance_id", "group_id",       "domain",           "domain_id",
    "verify",      "verify_address", "require_resolved", "client_ca"};
inline constexpr std::array<std::string_view, 4> kNotifyKeys{"url", "ca_file", "headers_file",
                                                             "on"};

inline constexpr std::array<Section, 9> kSections{{
    {"the top level", kTopLevelKeys},
    {"[daemon]", kDaemonKeys},
    {"[apig]", kApigKeys},
    {"[auth]", kAuthKeys},
    {"[poll]", kPollKeys},
    {"[retry]", kRetryKeys},
    {"[[binding]]", kBindingKeys},
    {"[[binding.target]]", kTargetKeys},
    {"[[notify]]", kNotifyKeys},
}};

// The Section named `name` in kSections.
const Section& section(std::string_view name);

// Messages for keys that look like inline secrets ("secret_key = ..."), for
// check_unknown_keys; nullopt for other keys.
std::optional<std::string> inline_secret_message(std::string_view key);

// [auth]. `table` is nullptr when the file has no [auth]. Needs settings.apig (region and
// insecure_http) to be read already.
void read_auth(const toml::table* table, LoadContext& context, Settings& settings);

// [[binding]] and their [[binding.target]] tables.
void read_bindings(const toml::table& root, LoadContext& context, Settings& settings);

// Checks an https endpoint (`key` names it in messages): https is always fine; http only
// with insecure_http = true and a loopback host. Returns it without a trailing
// '/', or nullopt after reporting a problem at `location`.
std::optional<std::string> check_endpoint(std::string_view value, std::string_view key,
                                          bool insecure_http, const SourceLocation& location,
                                          Diagnostics& diagnostics);

// "https://iam.{region}.myhuaweicloud.com" (".eu" for eu-west-101).
std::string default_iam_endpoint(std::string_view region);

// Checks a secret file named in the config: it must exist and be a regular file (after
// symlinks) that other users cannot read; group-readable is a warning. `description` is
// "secret_key_file '/etc/x'". Returns false after reporting an error.
bool check_secret_file(const std::filesystem::path& path, std::string_view description,
                       const SourceLocation& location, Diagnostics& diagnostics);

}  // namespace apig_certd::settings
