// [auth]: which authentication method, and where each of its secrets comes from.
//
// The loader locates secrets but never reads them: a SecretSource records the file,
// environment variable or systemd credential, and read_secret() fetches the value when a
// request needs it (so a rotated token file is picked up, and no secret sits in Settings).
// Precedence per secret: the `*_file` key, then APIG_CERTD_<NAME>, then
// $CREDENTIALS_DIRECTORY/<name> (systemd LoadCredential=), the order in which an operator
// overrides things: the explicit config beats the environment beats the unit's defaults.
//
// Secret files named in the config are checked now, so a world-readable key file stops the
// daemon at start-up rather than months later; credential files are managed by systemd and
// not checked. Keys of another method are errors, not silently ignored: an operator who sets
// token_file under method = "aksk" believes the token is used.

#include <cerrno>
#include <string>

#include <sys/stat.h>

#include "daemon/core/in_quotes.h"
#include "daemon/settings/loader_parts.h"
#include "daemon/settings/validation.h"

namespace apig_certd::settings {

namespace {

constexpr std::array<Choice<AuthMethod>, 3> kMethods{{
    {"aksk", AuthMethod::AkSk},
    {"token", AuthMethod::Token},
    {"password", AuthMethod::Password},
}};

// Which method each method-specific key belongs to.
struct MethodKey {
  std::string_view key;
  AuthMethod method;
};
constexpr std::array<MethodKey, 8> kMethodKeys{{
    {"access_key_file", AuthMethod::AkSk},
    {"secret_key_file", AuthMethod::AkSk},
    {"security_token_file", AuthMethod::AkSk},
    {"token_file", AuthMethod::Token},
    {"iam_endpoint", AuthMethod::Password},
    {"domain", AuthMethod::Password},
    {"user", AuthMethod::Password},
    {"password_file", AuthMethod::Password},
}};

// One secret and the three places it may come from.
struct SecretSpec {
  std::string_view file_key;    // "secret_key_file"
  std::string_view variable;    // "APIG_CERTD_SECRET_KEY"
  std::string_view credential;  // "secret_key"
  std::string_view what;        // "secret key"
};
constexpr SecretSpec kAccessKey{"access_key_file", "APIG_CERTD_ACCESS_KEY", "access_key",
                                "access key"};
constexpr SecretSpec kSecretKey{"secret_key_file", "APIG_CERTD_SECRET_KEY", "secret_key",
                                "secret key"};
constexpr SecretSpec kSecurityToken{"security_token_file", "APIG_CERTD_SECURITY_TOKEN",
                                    "security_token", "security token"};
constexpr SecretSpec kToken{"token_file", "APIG_CERTD_TOKEN", "token", "token"};
constexpr SecretSpec kPassword{"password_file", "APIG_CERTD_PASSWORD", "password", "password"};

enum class Requirement { Required, Optional };

std::optional<SecretSource> from_config_file(const toml::table& table, const SecretSpec& spec,
                                             LoadContext& context) {
  Diagnostics& diagnostics = context.diagnostics;
  const auto path = read_path(table, spec.file_key, context.base_directory, diagnostics);
  if (!path) {
    return std::nullopt;
  }
  const SourceLocation where = value_location(table, spec.file_key, diagnostics);
  if (path->empty()) {
    diagnostics.error(where, in_quotes(spec.file_key) +
                                 " must not be empty; expected the path "
                                 "of a file holding the " +
                                 std::string(spec.what));
    return std::nullopt;
  }
  SecretSource source;
  source.kind = SecretSource::Kind::File;
  source.path = *path;
  source.description = std::string(spec.file_key) + " '" + path->string() + "'";
  if (!check_secret_file(*path, source.description, where, diagnostics)) {
    return std::nullopt;
  }
  return source;
}

std::optional<SecretSource> from_environment(const SecretSpec& spec, LoadContext& context) {
  const std::optional<std::string> value = context.environment.get(spec.variable);
  if (value && !value->empty()) {
    SecretSource source;
    source.kind = SecretSource::Kind::Environment;
    source.variable = std::string(spec.variable);
    source.description = "environment variable " + std::string(spec.variable);
    return source;
  }
  const std::optional<std::string> directory = context.environment.get("CREDENTIALS_DIRECTORY");
  if (!directory || directory->empty()) {
    return std::nullopt;
  }
  const std::filesystem::path path = std::filesystem::path(*directory) / spec.credential;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return std::nullopt;
  }
  SecretSource source;
  source.kind = SecretSource::Kind::Credential;
  source.path = path;
  source.description =
      "credential '" + std::string(spec.credential) + "' ('" + path.string() + "')";
  return source;
}

std::optional<SecretSource> locate_secret(const toml::table* table, const SecretSpec& spec,
                                          Requirement requirement, LoadContext& context) {
  if (table != nullptr && table->get(spec.file_key) != nullptr) {
    return from_config_file(*table, spec, context);
  }
  std::optional<SecretSource> source = from_environment(spec, context);
  if (!source && requirement == Requirement::Required) {
    context.diagnostics.error(
        table != nullptr ? location_of(*table, context.diagnostics)
                         : context.diagnostics.whole_file(),
        "no " + std::string(spec.what) + " configured; expected " + std::string(spec.file_key) +
            " = \"PATH\" in [auth], or the environment variable " + std::string(spec.variable) +
            ", or the systemd credential " + in_quotes(spec.credential) +
            " ($CREDENTIALS_DIRECTORY/" + std::string(spec.credential) + ")");
  }
  return source;
}

void check_method_keys(const toml::table& table, AuthMethod method, Diagnostics& diagnostics) {
  for (const MethodKey& entry : kMethodKeys) {
    if (entry.method != method && table.get(entry.key) != nullptr) {
      diagnostics.error(key_location(table, entry.key, diagnostics),
                        in_quotes(entry.key) + " is only used with method = \"" +
                            std::string(to_string(entry.method)) + "\", but method is \"" +
                            std::string(to_string(method)) + "\"; remove it or change method");
    }
  }
}

// A non-empty string that `table` must have (password method: domain, user).
std::string read_required_name(const toml::table* table, std::string_view key,
                               std::string_view what, Diagnostics& diagnostics) {
  const toml::node* node = table != nullptr ? table->get(key) : nullptr;
  if (node == nullptr) {
    diagnostics.error(
        table != nullptr ? location_of(*table, diagnostics) : diagnostics.whole_file(),
        "method = \"password\" needs " + in_quotes(key) + " (" + std::string(what) +
            "); expected " + std::string(key) + " = \"...\" in [auth]");
    return {};
  }
  const std::optional<std::string> value = read_string(*table, key, diagnostics);
  if (value && value->empty()) {
    diagnostics.error(location_of(*node, diagnostics),
                      in_quotes(key) + " must not be empty; expected " + std::string(what));
    return {};
  }
  return value.value_or("");
}

void read_password_method(const toml::table* table, LoadContext& context, Settings& settings) {
  Diagnostics& diagnostics = context.diagnostics;
  AuthSettings& auth = settings.auth;
  auth.iam_endpoint = default_iam_endpoint(settings.apig.region);
  const std::optional<std::string> endpoint =
      table != nullptr ? read_string(*table, "iam_endpoint", diagnostics) : std::nullopt;
  if (endpoint && !endpoint->empty()) {
    const auto checked =
        check_endpoint(*endpoint, "iam_endpoint", settings.apig.insecure_http,
                       value_location(*table, "iam_endpoint", diagnostics), diagnostics);
    if (checked) {
      auth.iam_endpoint = *checked;
    }
  }
  auth.domain = read_required_name(table, "domain", "the IAM account name", diagnostics);
  auth.user = read_required_name(table, "user", "the IAM user name", diagnostics);
  auth.password = locate_secret(table, kPassword, Requirement::Required, context);
}

}  // namespace

std::optional<std::string> inline_secret_message(std::string_view key) {
  static constexpr std::array<SecretSpec, 5> kSpecs{kAccessKey, kSecretKey, kSecurityToken, kToken,
                                                    kPassword};
  for (const SecretSpec& spec : kSpecs) {
    if (key == spec.credential) {
      return in_quotes(key) + " is not a config key; put the " + std::string(spec.what) +
             " in a file and set " + std::string(spec.file_key) + " (never inline secrets)";
    }
  }
  return std::nullopt;
}

bool check_secret_file(const std::filesystem::path& path, std::string_view description,
                       const SourceLocation& location, Diagnostics& diagnostics) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    const int error = errno;
    diagnostics.error(location, std::string(description) + " cannot be used: " + errno_text(error) +
                                    "; expected a regular file readable only by its owner");
    return false;
  }
  if (!S_ISREG(status.st_mode)) {
    diagnostics.error(location, std::string(description) + " is not a regular file");
    return false;
  }
  if ((status.st_mode & S_IROTH) != 0) {
    diagnostics.error(location, std::string(description) +
                                    " is readable by other users; run chmod 600 '" + path.string() +
                                    "'");
    return false;
  }
  if ((status.st_mode & S_IRGRP) != 0) {
    diagnostics.warning(location, std::string(description) +
                                      " is readable by its group; consider chmod 600 '" +
                                      path.string() + "'");
  }
  return true;
}

void read_auth(const toml::table* table, LoadContext& context, Settings& settings) {
  Diagnostics& diagnostics = context.diagnostics;
  AuthSettings& auth = settings.auth;
  if (table != nullptr) {
    check_unknown_keys(*table, section("[auth]"), kSections, inline_secret_message, diagnostics);
    const bool has_method = table->get("method") != nullptr;
    const std::optional<AuthMethod> method =
        read_choice<AuthMethod>(*table, "method", kMethods, diagnostics);
    if (has_method && !method) {
      return;  // Which keys belong is unknown; the method error says enough.
    }
    if (method) {
      auth.method = *method;
    }
    check_method_keys(*table, auth.method, diagnostics);
  }
  switch (auth.method) {
    case AuthMethod::AkSk:
      auth.access_key = locate_secret(table, kAccessKey, Requirement::Required, context);
      auth.secret_key = locate_secret(table, kSecretKey, Requirement::Required, context);
      auth.security_token = locate_secret(table, kSecurityToken, Requirement::Optional, context);
      break;
    case AuthMethod::Token:
      auth.token = locate_secret(table, kToken, Requirement::Required, context);
      break;
    case AuthMethod::Password:
      read_password_method(table, context, settings);
      break;
  }
}

}  // namespace apig_certd::settings
