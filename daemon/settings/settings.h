#pragma once

// The configuration of DESIGN.md §3 as plain values, with the documented defaults.
//
// These structs are what the rest of the program sees; only settings_loader.cpp knows TOML.
// Secrets are never stored here: a SecretSource says *where* a secret comes from (a file,
// an environment variable, a systemd credential), and read_secret() fetches it when needed.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/duration.h"
#include "daemon/core/environment.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::settings {

// Where in the config file a table or key was written, for messages ("config.toml:12:3").
// Line and column count from 1; 0 means unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// "file:line:column" (or just "file" when line is 0).
std::string to_string(const SourceLocation& location);

enum class LogLevel { Trace, Debug, Info, Warn, Error };
enum class DriftPolicy { Repair, Report };
// How a renewal reaches a domain (DESIGN.md §4 step 6):
//   Replace: the one-step bind, POST .../domains/{id}/certificate (an object per domain).
//   Update:  PUT /certificates/{id} over the object apig-certd bound before.
//   Attach:  one certificate object per renewal per instance (POST /certificates), attached to
//            each target's domain (POST .../domains/{id}/certificates/attach).
enum class Strategy { Replace, Update, Attach };
enum class AuthMethod { AkSk, Token, Password };
enum class NotifyEvent { Bound, Failed, Recovered, Expiring, Drift };

// The config spelling of each value ("info", "repair", "replace", "aksk", "bound").
std::string_view to_string(LogLevel level);
std::string_view to_string(DriftPolicy policy);
std::string_view to_string(Strategy strategy);
std::string_view to_string(AuthMethod method);
std::string_view to_string(NotifyEvent event);

// Where a secret is read from. The value itself is never kept in Settings.
struct SecretSource {
  enum class Kind {
    File,         // A file named in the config (`*_file`); permissions are checked.
    Environment,  // An environment variable, e.g. APIG_CERTD_SECRET_KEY.
    Credential,   // A systemd credential: $CREDENTIALS_DIRECTORY/<name>.
  };
  Kind kind = Kind::File;
  std::filesystem::path path;  // File and Credential.
  std::string variable;        // Environment.
  std::string description;     // For messages: "secret_key_file '/etc/...'", never the value.
};

struct DaemonSettings {
  std::filesystem::path state_dir = "/var/lib/apig-certd";
  Duration rescan_interval = std::chrono::hours(1);
  Duration debounce = std::chrono::seconds(2);
  Duration renew_warning = std::chrono::hours(21 * 24);
  int concurrency = 8;
  std::filesystem::path metrics_file;  // Empty: off.
  LogLevel log_level = LogLevel::Info;
  DriftPolicy drift = DriftPolicy::Repair;
  Duration jitter = Duration::zero();
};

struct ApigSettings {
  std::string region = "cn-north-4";
  // Always filled after loading: the configured endpoint without a trailing '/', or
  // "https://apig.{region}.myhuaweicloud.com".
  std::string endpoint;
  std::string project_id;
  std::filesystem::path ca_file;  // Empty: system trust store only.
  Duration timeout = std::chrono::seconds(30);
  bool insecure_http = false;
};

struct AuthSettings {
  AuthMethod method = AuthMethod::AkSk;
  // aksk
  std::optional<SecretSource> access_key;
  std::optional<SecretSource> secret_key;
  std::optional<SecretSource> security_token;  // Temporary credentials only.
  // token
  std::optional<SecretSource> token;
  // password: always filled for method = password ("https://iam.{region}.myhuaweicloud.com").
  std::string iam_endpoint;
  std::string domain;  // The IAM account (domain) name.
  std::string user;
  std::optional<SecretSource> password;
};

struct PollSettings {
  Duration interval = std::chrono::seconds(5);
  Duration timeout = std::chrono::minutes(10);
};

struct RetrySettings {
  Duration initial = std::chrono::seconds(5);
  Duration max = std::chrono::hours(1);
};

struct TargetSettings {
  std::string instance_id;
  std::string group_id;
  std::string domain;     // At least one of domain and domain_id is set.
  std::string domain_id;  // Empty: looked up from `domain` in the group.
  // verify = true: after the CNAME resolves, connect over TLS (SNI = the domain) and compare
  // the served leaf's fingerprint with the bound certificate's.
  bool verify = false;
  std::string verify_address;  // As written: "host:port", "host" or "" (the domain).
  // verify_address split up by the loader: the host (IPv6 without brackets; empty: connect
  // to the domain itself) and the port (443 when not given).
  std::string verify_host;
  int verify_port = 443;
  // false: the target is OK once the bind is confirmed by a re-read (and the probe, with
  // verify), whatever the CNAME status says (a dedicated gateway's A record, an intranet
  // domain); the status is still polled and shown.
  bool require_resolved = true;
  // The CA bundle (PEM) that an mTLS domain keeps trusting for client certificates: sent as
  // trusted_root_ca with every write (strategy "update" or "attach"). Empty: none. Read at
  // each write.
  std::string client_ca;
  SourceLocation location;
};

struct BindingSettings {
  std::string name;
  // Always filled after loading: from `lineage` (fullchain.pem, privkey.pem) or cert + key.
  // Relative paths are resolved against the config file's directory.
  // As text, like cert::BundlePaths (a std::filesystem::path keeps its components too).
  std::string cert;
  std::string key;
  std::string cert_name;  // Defaults to `name`.
  Strategy strategy = Strategy::Replace;
  bool cleanup = true;
  int keep_previous = 1;
  std::vector<TargetSettings> targets;
  SourceLocation location;
};

struct NotifySettings {
  std::string url;
  std::filesystem::path ca_file;
  std::filesystem::path headers_file;
  std::vector<NotifyEvent> on;  // Defaults to every event.
  SourceLocation location;
};

// The most [[binding]] entries one config may have.
inline constexpr std::size_t kMaxBindings = 10'000;

struct Settings {
  std::filesystem::path source_file;
  DaemonSettings daemon;
  ApigSettings apig;
  AuthSettings auth;
  PollSettings poll;
  RetrySettings retry;
  std::vector<BindingSettings> bindings;  // At most kMaxBindings.
  std::vector<NotifySettings> notify;
  // Non-fatal findings while loading (e.g. a group-readable secret file), one line each,
  // "file:line:column: what". The caller logs them.
  std::vector<std::string> warnings;
};

// The targets of every binding, counted.
std::size_t target_count(const Settings& config);

// Reads and validates the config file of DESIGN.md §3.
//
// Nothing but the config file is read: certificate files need not exist (that is `check`'s
// job), and secrets are located (SecretSource) but never read. Secret files named in the
// config must exist as regular files that other users cannot read.
//
// Errors:
//   NotFound / PermissionDenied  the file cannot be opened (the message names the path);
//   ParseError                   TOML syntax ("FILE:LINE:COLUMN: what toml++ says");
//   InvalidArgument              the file is too large, or the content breaks the contract.
//                                The message has one line per problem (at most about 20),
//                                each "FILE:LINE:COLUMN: what is wrong; what is expected",
//                                sorted by position. No secret value is ever quoted.
// Warnings (e.g. a group-readable secret file) are returned in Settings::warnings.
Result<Settings> load_settings(const std::filesystem::path& file, const Environment& environment);

// As load_settings(), from text already in memory. `file` names the source in messages and
// its directory anchors relative paths; it is not read.
Result<Settings> parse_settings(std::string_view text, const std::filesystem::path& file,
                                const Environment& environment);

// Reads a secret from where `source` says (file, environment variable or systemd credential)
// and removes one trailing newline ("\n" or "\r\n").
//
// A SecretSource::Kind::File is re-checked: it must be a regular file not readable by other
// users. `environment` supplies the value of Kind::Environment sources.
// Errors name the source by its description and never contain the value:
//   NotFound          the file or variable does not exist;
//   PermissionDenied  the file cannot be opened, or other users can read it;
//   InvalidArgument   the secret is empty, too large (over 64 KiB), or not a regular file.
Result<Secret> read_secret(const SecretSource& source, const Environment& environment);

}  // namespace apig_certd::settings
