// [[binding]] and [[binding.target]]: what certificate goes where.
//
// A binding names one certificate source, either an ACME lineage directory (fullchain.pem
// and privkey.pem inside it, certbot's layout) or an explicit cert + key pair, and the APIG
// targets that must serve it. Only the config is checked here; whether the files exist and
// hold a matching, valid chain is `apig-certd check`'s business, because certificates come
// and go while the config stays.
//
// Names are unique across bindings (they key the state file and metrics), and a binding lists
// a target once; both messages point at the first occurrence too. A target may appear in
// two bindings (an RSA and an ECC lineage for one domain): whether their keys take the same
// slot of the domain's certificate set is known only from the files, so the pass checks it.

#include <map>
#include <string>
#include <utility>

#include "daemon/core/in_quotes.h"
#include "daemon/settings/loader_parts.h"
#include "daemon/settings/validation.h"

namespace apig_certd::settings {

namespace {

constexpr std::array<Choice<Strategy>, 3> kStrategies{{
    {"replace", Strategy::Replace},
    {"update", Strategy::Update},
    {"attach", Strategy::Attach},
}};

// Names and targets seen so far, for the duplicate checks across bindings.
struct Seen {
  std::map<std::string, SourceLocation, std::less<>> names;
  std::map<std::string, SourceLocation, std::less<>> targets;  // by binding and target
};

void read_name(const toml::table& table, BindingSettings& binding, Diagnostics& diagnostics) {
  if (table.get("name") == nullptr) {
    diagnostics.error(location_of(table, diagnostics),
                      "[[binding]] has no 'name'; expected name = \"...\" (letters, digits, "
                      "'_', '.', '-'; it names the binding in logs, metrics and state)");
    return;
  }
  const std::optional<std::string> name = read_string(table, "name", diagnostics);
  if (!name) {
    return;
  }
  if (!is_valid_binding_name(*name)) {
    const std::string problem =
        name->empty() ? "'name' must not be empty" : "binding name \"" + *name + "\" is not valid";
    diagnostics.error(value_location(table, "name", diagnostics),
                      problem +
                          "; expected 1 to 64 letters, digits, '_', '.' or '-' (no "
                          "spaces)");
    return;
  }
  binding.name = *name;
}

// A path key that must not be empty when present.
std::optional<std::filesystem::path> read_source_path(const toml::table& table,
                                                      std::string_view key, LoadContext& context) {
  Diagnostics& diagnostics = context.diagnostics;
  std::optional<std::filesystem::path> path =
      read_path(table, key, context.base_directory, diagnostics);
  if (path && path->empty()) {
    diagnostics.error(value_location(table, key, diagnostics),
                      in_quotes(key) + " must not be empty; expected a path");
    return std::nullopt;
  }
  return path;
}

void read_sources(const toml::table& table, LoadContext& context, BindingSettings& binding) {
  Diagnostics& diagnostics = context.diagnostics;
  const bool has_lineage = table.get("lineage") != nullptr;
  const bool has_cert = table.get("cert") != nullptr;
  const bool has_key = table.get("key") != nullptr;
  const std::string expected =
      "; expected either lineage = \"DIR\" (holding fullchain.pem and privkey.pem) or cert = "
      "\"FULLCHAIN\" and key = \"PRIVATE KEY\"";
  if (has_lineage && (has_cert || has_key)) {
    const std::string_view other = has_cert ? "cert" : "key";
    diagnostics.error(key_location(table, other, diagnostics),
                      "'lineage' and " + in_quotes(other) + " are both given" + expected);
    return;
  }
  if (has_lineage) {
    if (const auto lineage = read_source_path(table, "lineage", context)) {
      binding.cert = *lineage / "fullchain.pem";
      binding.key = *lineage / "privkey.pem";
    }
    return;
  }
  if (has_cert != has_key) {
    const std::string_view given = has_cert ? "cert" : "key";
    const std::string_view missing = has_cert ? "key" : "cert";
    diagnostics.error(key_location(table, given, diagnostics),
                      in_quotes(given) + " is given without " + in_quotes(missing) +
                          "; expected both cert and key, or lineage instead");
    return;
  }
  if (!has_cert) {
    diagnostics.error(location_of(table, diagnostics),
                      "binding " + in_quotes(binding.name) + " has no certificate" + expected);
    return;
  }
  if (const auto cert = read_source_path(table, "cert", context)) {
    binding.cert = *cert;
  }
  if (const auto key = read_source_path(table, "key", context)) {
    binding.key = *key;
  }
}

void read_options(const toml::table& table, BindingSettings& binding, Diagnostics& diagnostics) {
  binding.cert_name = binding.name;
  if (const auto cert_name = read_string(table, "cert_name", diagnostics)) {
    if (is_valid_cert_name(*cert_name)) {
      binding.cert_name = *cert_name;
    } else {
      diagnostics.error(value_location(table, "cert_name", diagnostics),
                        "'cert_name' \"" + *cert_name +
                            "\" is not a valid APIG certificate name prefix; expected a letter, "
                            "then letters, digits and '_' (at most 50)");
    }
  }
  if (const auto strategy = read_choice<Strategy>(table, "strategy", kStrategies, diagnostics)) {
    binding.strategy = *strategy;
  }
  if (const auto cleanup = read_bool(table, "cleanup", diagnostics)) {
    binding.cleanup = *cleanup;
  }
  if (const auto keep = read_int_in_range(table, "keep_previous", 0, 1000, diagnostics)) {
    binding.keep_previous = *keep;
  }
}

// An ID key (instance_id, group_id, domain_id). `required` says whether absence is an error.
std::string read_id(const toml::table& table, std::string_view key, std::string_view what,
                    bool required, Diagnostics& diagnostics) {
  if (table.get(key) == nullptr) {
    if (required) {
      diagnostics.error(location_of(table, diagnostics),
                        "[[binding.target]] has no " + in_quotes(key) + "; expected " +
                            std::string(key) + " = \"...\" (" + std::string(what) + ")");
    }
    return {};
  }
  const std::optional<std::string> id = read_string(table, key, diagnostics);
  if (id && !is_valid_id(*id)) {
    diagnostics.error(value_location(table, key, diagnostics),
                      in_quotes(key) + " must be " + std::string(what) +
                          " (letters, digits and '-'), got \"" + *id + "\"");
    return {};
  }
  return id.value_or("");
}

void read_domain(const toml::table& table, TargetSettings& target, Diagnostics& diagnostics) {
  const bool has_domain = table.get("domain") != nullptr;
  if (has_domain) {
    if (const auto domain = read_string(table, "domain", diagnostics)) {
      Result<std::string> normalized = normalize_domain(*domain);
      if (normalized) {
        target.domain = std::move(*normalized);
      } else {
        diagnostics.error(value_location(table, "domain", diagnostics),
                          "'domain' \"" + *domain +
                              "\" is not a valid host name: " + normalized.error().message() +
                              "; expected e.g. www.example.com or *.example.com");
      }
    }
  }
  const bool has_domain_id = table.get("domain_id") != nullptr;
  target.domain_id =
      read_id(table, "domain_id", "the domain's ID in the group", false, diagnostics);
  if (!has_domain && !has_domain_id) {
    diagnostics.error(location_of(table, diagnostics),
                      "[[binding.target]] has neither 'domain' nor 'domain_id'; expected "
                      "domain = \"www.example.com\" (or domain_id = \"...\")");
  }
}

// The port a TLS probe connects to when verify_address gives none (HTTPS).
constexpr int kVerifyDefaultPort = 443;

TargetSettings read_target(const toml::table& table, const LoadContext& context,
                           Diagnostics& diagnostics) {
  check_unknown_keys(table, section("[[binding.target]]"), kSections, inline_secret_message,
                     diagnostics);
  TargetSettings target;
  target.location = location_of(table, diagnostics);
  target.instance_id =
      read_id(table, "instance_id", "the APIG gateway instance's ID", true, diagnostics);
  target.group_id = read_id(table, "group_id", "the API group's ID", true, diagnostics);
  read_domain(table, target, diagnostics);
  if (const auto verify = read_bool(table, "verify", diagnostics)) {
    target.verify = *verify;
  }
  if (const auto address = read_string(table, "verify_address", diagnostics)) {
    if (!address->empty()) {
      Result<HostPort> parsed = parse_host_port(*address, kVerifyDefaultPort);
      if (parsed) {
        target.verify_address = *address;
        target.verify_host = std::move(parsed->host);
        target.verify_port = parsed->port;
      } else {
        diagnostics.error(value_location(table, "verify_address", diagnostics),
                          R"('verify_address' is not "host[:port]": )" + parsed.error().message() +
                              R"(; expected e.g. "203.0.113.7", "lb.example.com:8443" or )"
                              R"("[2001:db8::1]:443")");
      }
    }
  }
  if (const auto required = read_bool(table, "require_resolved", diagnostics)) {
    target.require_resolved = *required;
  }
  if (const auto client_ca = read_path(table, "client_ca", context.base_directory, diagnostics)) {
    target.client_ca = *client_ca;
  }
  // A TLS client cannot ask for "*.example.com" by SNI: there is no name to probe.
  if (target.verify && target.domain.starts_with("*.")) {
    diagnostics.error(value_location(table, "verify", diagnostics),
                      "'verify = true' cannot probe the wildcard domain '" + target.domain +
                          "' (a TLS client sends one concrete name); expected verify = false "
                          "for a wildcard target");
  }
  return target;
}

// The identity of a target for the duplicate check; empty when incomplete (already reported).
std::string target_identity(const TargetSettings& target) {
  if (target.instance_id.empty() || target.group_id.empty() ||
      (target.domain.empty() && target.domain_id.empty())) {
    return {};
  }
  const std::string domain =
      target.domain.empty() ? "domain_id '" + target.domain_id + "'" : in_quotes(target.domain);
  return "(instance " + in_quotes(target.instance_id) + ", group " + in_quotes(target.group_id) +
         ", domain " + domain + ")";
}

void check_duplicate_target(const TargetSettings& target, const BindingSettings& binding,
                            Seen& seen, Diagnostics& diagnostics) {
  const std::string identity = target_identity(target);
  if (identity.empty()) {
    return;
  }
  // By binding: a target may be in two bindings (an RSA and an ECC lineage take different
  // slots of the domain's certificate set; two keys of one algorithm are refused by the pass,
  // which knows the keys: engine/plan.cpp), but once per binding.
  const auto [it, inserted] =
      seen.targets.try_emplace(binding.name + "\n" + identity, target.location);
  if (!inserted) {
    diagnostics.error(target.location, "target " + identity + " is listed twice in binding " +
                                           in_quotes(binding.name) + "; the first is at " +
                                           to_string(it->second) + "; expected it once");
  }
}

// The one-step bind (strategy "replace") sends no trusted_root_ca: a client_ca there would
// promise what the writes cannot keep.
void check_client_ca(const toml::table& table, const BindingSettings& binding,
                     const TargetSettings& target, Diagnostics& diagnostics) {
  if (target.client_ca.empty() || binding.strategy != Strategy::Replace) {
    return;
  }
  diagnostics.error(value_location(table, "client_ca", diagnostics),
                    R"('client_ca' needs strategy = "update" or "attach" in binding )" +
                        in_quotes(binding.name) +
                        " (the one-step bind of strategy \"replace\" cannot carry a CA); "
                        "expected one of them on the binding, or no client_ca");
}

// Strategy "attach" makes one certificate object per instance, and an object has one
// trusted_root_ca: the binding's targets on one instance must agree on client_ca.
void check_shared_client_ca(const toml::table& table, const BindingSettings& binding,
                            const TargetSettings& target, Diagnostics& diagnostics) {
  if (binding.strategy != Strategy::Attach) {
    return;
  }
  for (const TargetSettings& other : binding.targets) {
    if (other.instance_id == target.instance_id && other.client_ca != target.client_ca) {
      const std::string_view key = table.contains("client_ca") ? "client_ca" : "instance_id";
      diagnostics.error(value_location(table, key, diagnostics),
                        "binding " + in_quotes(binding.name) +
                            " attaches one certificate object per instance, whose client_ca "
                            "is one CA bundle, but its targets on instance " +
                            in_quotes(target.instance_id) + " name " +
                            in_quotes(other.client_ca.empty() ? "none" : other.client_ca) +
                            " (at " + to_string(other.location) + ") and " +
                            in_quotes(target.client_ca.empty() ? "none" : target.client_ca) +
                            "; expected the same client_ca on all of them");
      return;
    }
  }
}

void read_targets(const toml::table& table, BindingSettings& binding, Seen& seen,
                  LoadContext& context) {
  Diagnostics& diagnostics = context.diagnostics;
  const toml::node* node = table.get("target");
  const toml::array* array = nullptr;
  if (node != nullptr && !(node->is_array() && node->as_array()->empty())) {
    array = read_array_of_tables(table, "target", "[[binding.target]]", diagnostics);
    if (array == nullptr) {
      return;  // Wrong type, reported.
    }
  }
  if (array == nullptr) {
    diagnostics.error(location_of(table, diagnostics),
                      "binding " + in_quotes(binding.name) +
                          " has no targets; expected at least one [[binding.target]] with "
                          "instance_id, group_id and domain");
    return;
  }
  for (const toml::node& element : *array) {
    const toml::table& target_table = *element.as_table();
    TargetSettings target = read_target(target_table, context, diagnostics);
    check_client_ca(target_table, binding, target, diagnostics);
    check_shared_client_ca(target_table, binding, target, diagnostics);
    check_duplicate_target(target, binding, seen, diagnostics);
    binding.targets.push_back(std::move(target));
  }
}

void check_duplicate_name(const BindingSettings& binding, Seen& seen, Diagnostics& diagnostics) {
  if (binding.name.empty()) {
    return;
  }
  const auto [it, inserted] = seen.names.try_emplace(binding.name, binding.location);
  if (!inserted) {
    diagnostics.error(binding.location, "duplicate binding name " + in_quotes(binding.name) +
                                            "; the first is at " + to_string(it->second) +
                                            "; expected unique names");
  }
}

}  // namespace

void read_bindings(const toml::table& root, LoadContext& context, Settings& settings) {
  Diagnostics& diagnostics = context.diagnostics;
  const toml::node* node = root.get("binding");
  if (node == nullptr) {
    diagnostics.error(diagnostics.whole_file(),
                      "the config has no [[binding]]; expected at least one [[binding]] with a "
                      "name, a certificate (lineage, or cert and key) and a [[binding.target]]");
    return;
  }
  const toml::array* array = read_array_of_tables(root, "binding", "[[binding]]", diagnostics);
  if (array == nullptr) {
    return;
  }
  if (array->size() > kMaxBindings) {
    diagnostics.error(location_of(*array, diagnostics),
                      "the config has " + std::to_string(array->size()) +
                          " [[binding]] entries, more than the " + std::to_string(kMaxBindings) +
                          " one apig-certd manages; split them over several configs and "
                          "daemons (each with its own state_dir)");
    return;
  }
  Seen seen;
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    check_unknown_keys(table, section("[[binding]]"), kSections, inline_secret_message,
                       diagnostics);
    BindingSettings binding;
    binding.location = location_of(table, diagnostics);
    read_name(table, binding, diagnostics);
    check_duplicate_name(binding, seen, diagnostics);
    read_sources(table, context, binding);
    read_options(table, binding, diagnostics);
    read_targets(table, binding, seen, context);
    settings.bindings.push_back(std::move(binding));
  }
}

}  // namespace apig_certd::settings
