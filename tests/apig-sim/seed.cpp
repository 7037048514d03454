// Seed file parsing.
//
// nlohmann::json throws on type mismatches, so every value is read through the small
// Reader below, which checks the type first and turns a mismatch into an InvalidArgument that
// names the JSON path. The seed is small and read once, so the Reader copies freely.
//
// Certificates may be seeded with their PEM (then every fact comes from it) or described by
// hand (name, san, not_after, algorithm_type): enough for a domain that "already has a
// certificate" without generating one.

#include "tests/apig-sim/seed.h"

#include <fstream>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

namespace apig_certd::sim {

namespace {

using nlohmann::json;

// A JSON object with the path that leads to it, for error messages.
class Reader {
 public:
  Reader(const json& value, std::string path) : value_(value), path_(std::move(path)) {}

  const json& value() const { return value_; }
  const std::string& path() const { return path_; }
  std::string child_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  Result<std::string> string(std::string_view key, std::optional<std::string> fallback) const {
    const auto found = value_.find(key);
    if (found == value_.end()) {
      if (fallback) {
        return *fallback;
      }
      return fail(ErrorCode::InvalidArgument, child_path(key) + ": required");
    }
    if (!found->is_string()) {
      return fail(ErrorCode::InvalidArgument, child_path(key) + ": expected a string");
    }
    return found->get<std::string>();
  }

  Result<std::int64_t> integer(std::string_view key, std::int64_t fallback) const {
    const auto found = value_.find(key);
    if (found == value_.end()) {
      return fallback;
    }
    if (!found->is_number_integer()) {
      return fail(ErrorCode::InvalidArgument, child_path(key) + ": expected an integer");
    }
    return found->get<std::int64_t>();
  }

  // The array under `key` (empty when absent), each element with its path.
  Result<std::vector<Reader>> array(std::string_view key) const {
    std::vector<Reader> elements;
    const auto found = value_.find(key);
    if (found == value_.end()) {
      return elements;
    }
    if (!found->is_array()) {
      return fail(ErrorCode::InvalidArgument, child_path(key) + ": expected an array");
    }
    for (std::size_t i = 0; i < found->size(); ++i) {
      elements.emplace_back((*found)[i], child_path(key) + "[" + std::to_string(i) + "]");
    }
    return elements;
  }

  // The object under `key`; an empty object when absent.
  Result<Reader> object(std::string_view key) const {
    static const json kEmpty = json::object();
    const auto found = value_.find(key);
    if (found == value_.end()) {
      return Reader(kEmpty, child_path(key));
    }
    if (!found->is_object()) {
      return fail(ErrorCode::InvalidArgument, child_path(key) + ": expected an object");
    }
    return Reader(*found, child_path(key));
  }

 private:
  const json& value_;
  std::string path_;
};

Error invalid_seed(const std::string& path, std::string_view what) {
  return Error(ErrorCode::InvalidArgument, path + ": " + std::string(what));
}

Result<SystemTime> parse_iso8601(const std::string& text, const std::string& path) {
  std::tm parts{};
  std::istringstream stream(text);
  stream >> std::get_time(&parts, "%Y-%m-%dT%H:%M:%SZ");
  if (stream.fail()) {
    return fail(invalid_seed(path, "expected a UTC time like 2030-01-31T12:00:00Z"));
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

Result<Credentials> parse_credentials(const Reader& root) {
  auto section = root.object("credentials");
  if (!section) {
    return fail(std::move(section.error()));
  }
  Credentials credentials;
  const auto tokens = section->value().find("tokens");
  if (tokens != section->value().end()) {
    if (!tokens->is_array()) {
      return fail(invalid_seed(section->child_path("tokens"), "expected an array of strings"));
    }
    for (const json& token : *tokens) {
      if (!token.is_string() || token.get<std::string>().empty()) {
        return fail(invalid_seed(section->child_path("tokens"), "expected non-empty strings"));
      }
      credentials.tokens.emplace_back(token.get<std::string>());
    }
  }
  auto pairs = section->array("aksk");
  if (!pairs) {
    return fail(std::move(pairs.error()));
  }
  for (const Reader& pair : *pairs) {
    auto access_key = pair.string("ak", std::nullopt);
    auto secret_key = pair.string("sk", std::nullopt);
    auto security_token = pair.string("security_token", std::string());
    if (!access_key || !secret_key || !security_token) {
      return fail(invalid_seed(pair.path(), "expected {ak, sk, security_token?} strings"));
    }
    AkSkCredential credential{*access_key, Secret(std::move(*secret_key)), std::nullopt};
    if (!security_token->empty()) {
      credential.security_token = Secret(std::move(*security_token));
    }
    credentials.aksk.push_back(std::move(credential));
  }
  auto iam = section->object("iam");
  if (!iam) {
    return fail(std::move(iam.error()));
  }
  auto lifetime = iam->integer("token_lifetime_seconds", 86400);
  if (!lifetime || *lifetime <= 0) {
    return fail(
        invalid_seed(iam->child_path("token_lifetime_seconds"), "expected a positive integer"));
  }
  credentials.token_lifetime = std::chrono::seconds(*lifetime);
  auto users = iam->array("users");
  if (!users) {
    return fail(std::move(users.error()));
  }
  for (const Reader& user : *users) {
    auto domain = user.string("domain", std::nullopt);
    auto name = user.string("user", std::nullopt);
    auto password = user.string("password", std::nullopt);
    if (!domain || !name || !password) {
      return fail(invalid_seed(user.path(), "expected {domain, user, password} strings"));
    }
    credentials.iam_users.push_back({*domain, *name, Secret(std::move(*password))});
  }
  return credentials;
}

Result<Certificate> parse_certificate(const Reader& entry, SystemTime now) {
  auto id = entry.string("id", std::nullopt);
  auto name = entry.string("name", std::nullopt);
  auto content = entry.string("cert_content", std::string());
  auto not_after = entry.string("not_after", std::string("2030-01-01T00:00:00Z"));
  auto algorithm = entry.string("algorithm_type", std::string("RSA"));
  auto type = entry.string("type", std::string("global"));
  auto instance_id = entry.string("instance_id", std::string("common"));
  auto trusted_root_ca = entry.string("trusted_root_ca", std::string());
  if (!id || !name || !content || !not_after || !algorithm || !type || !instance_id ||
      !trusted_root_ca) {
    return fail(invalid_seed(entry.path(),
                             "expected {id, name, cert_content?, not_after?, san?, "
                             "algorithm_type?, type?, instance_id?, trusted_root_ca?} strings"));
  }
  Certificate certificate;
  certificate.id = *id;
  certificate.name = *name;
  certificate.type = *type;
  certificate.instance_id = *instance_id;
  certificate.content = *content;
  certificate.trusted_root_ca = *trusted_root_ca;
  certificate.created = now;
  certificate.updated = now;
  if (!content->empty()) {
    auto facts = describe_certificate(*content);
    if (!facts) {
      return fail(invalid_seed(entry.child_path("cert_content"), facts.error().message()));
    }
    certificate.facts = std::move(*facts);
    return certificate;
  }
  auto expiry = parse_iso8601(*not_after, entry.child_path("not_after"));
  if (!expiry) {
    return fail(std::move(expiry.error()));
  }
  certificate.facts.not_after = *expiry;
  certificate.facts.not_before = *expiry - std::chrono::hours(24 * 90);
  certificate.facts.algorithm_type = *algorithm;
  certificate.facts.signature_algorithm = *algorithm == "ECC" ? "ECDSA-SHA256" : "SHA256-RSA";
  const auto sans = entry.value().find("san");
  if (sans != entry.value().end() && sans->is_array()) {
    for (const json& san : *sans) {
      if (san.is_string()) {
        certificate.facts.san.push_back(san.get<std::string>());
      }
    }
  }
  certificate.facts.common_name = certificate.facts.san.empty() ? "" : certificate.facts.san[0];
  return certificate;
}

Result<std::vector<int>> parse_cname_sequence(const Reader& entry) {
  std::vector<int> sequence;
  const auto found = entry.value().find("cname_sequence");
  if (found == entry.value().end()) {
    return sequence;
  }
  const std::string path = entry.child_path("cname_sequence");
  if (!found->is_array()) {
    return fail(invalid_seed(path, "expected an array of statuses 1..4"));
  }
  for (const json& status : *found) {
    if (!status.is_number_integer() || status.get<int>() < 1 || status.get<int>() > 4) {
      return fail(invalid_seed(path, "expected statuses 1..4"));
    }
    sequence.push_back(status.get<int>());
  }
  return sequence;
}

Result<Domain> parse_domain(const Reader& entry, const Model& model) {
  auto id = entry.string("id", random_id());
  auto name = entry.string("domain", std::nullopt);
  auto certificate = entry.string("certificate_id", std::string());
  auto min_ssl_version = entry.string("min_ssl_version", std::string("TLSv1.1"));
  auto status = entry.integer("cname_status", 3);
  const auto verifies = entry.value().find("verified_client_certificate_enabled");
  if (!id || !name || !certificate || !min_ssl_version || !status ||
      (verifies != entry.value().end() && !verifies->is_boolean())) {
    return fail(invalid_seed(entry.path(),
                             "expected {id?, domain, cname_status?, cname_sequence?, "
                             "min_ssl_version?, certificate_id?, "
                             "verified_client_certificate_enabled?}"));
  }
  if (*status < 1 || *status > 4) {
    return fail(invalid_seed(entry.child_path("cname_status"), "expected 1..4"));
  }
  if (!certificate->empty() && model.find_certificate(*certificate) == nullptr) {
    return fail(
        invalid_seed(entry.child_path("certificate_id"), "no such certificate in certificates[]"));
  }
  auto sequence = parse_cname_sequence(entry);
  if (!sequence) {
    return fail(std::move(sequence.error()));
  }
  return Domain{.id = *id,
                .domain = *name,
                .cname_status = static_cast<int>(*status),
                .cname_sequence = std::move(*sequence),
                .cname_step = std::nullopt,
                .min_ssl_version = *min_ssl_version,
                .verified_client_certificate_enabled =
                    verifies != entry.value().end() && verifies->get<bool>(),
                .certificate_ids = certificate->empty() ? std::vector<std::string>{}
                                                        : std::vector<std::string>{*certificate}};
}

Result<Group> parse_group(const Reader& entry, const Model& model, SystemTime now) {
  auto id = entry.string("id", std::nullopt);
  auto name = entry.string("name", std::nullopt);
  auto sl_domain = entry.string("sl_domain", std::string());
  auto domains = entry.array("domains");
  if (!id || !name || !sl_domain || !domains) {
    return fail(invalid_seed(entry.path(), "expected {id, name, sl_domain?, domains?}"));
  }
  Group group{.id = *id, .name = *name, .sl_domain = *sl_domain, .registered = now, .domains = {}};
  if (group.sl_domain.empty()) {
    group.sl_domain = group.id + ".apic." + model.region + ".huaweicloudapis.com";
  }
  for (const Reader& domain_entry : *domains) {
    auto domain = parse_domain(domain_entry, model);
    if (!domain) {
      return fail(std::move(domain.error()));
    }
    group.domains.push_back(std::move(*domain));
  }
  return group;
}

Result<Instance> parse_instance(const Reader& entry, const Model& model, SystemTime now) {
  auto id = entry.string("id", std::nullopt);
  auto groups = entry.array("groups");
  if (!id || !groups) {
    return fail(invalid_seed(entry.path(), "expected {id, groups}"));
  }
  Instance instance{*id, {}};
  for (const Reader& group_entry : *groups) {
    auto group = parse_group(group_entry, model, now);
    if (!group) {
      return fail(std::move(group.error()));
    }
    instance.groups.push_back(std::move(*group));
  }
  return instance;
}

Result<void> parse_account(const Reader& root, Model& model, SystemTime now) {
  auto certificates = root.array("certificates");
  if (!certificates) {
    return fail(std::move(certificates.error()));
  }
  for (const Reader& entry : *certificates) {
    auto certificate = parse_certificate(entry, now);
    if (!certificate) {
      return fail(std::move(certificate.error()));
    }
    const std::string id = certificate->id;
    model.certificates.emplace(id, std::move(*certificate));
  }
  auto instances = root.array("instances");
  if (!instances) {
    return fail(std::move(instances.error()));
  }
  for (const Reader& entry : *instances) {
    auto instance = parse_instance(entry, model, now);
    if (!instance) {
      return fail(std::move(instance.error()));
    }
    model.instances.push_back(std::move(*instance));
  }
  return {};
}

}  // namespace

Result<Seed> parse_seed(std::string_view json_text, SystemTime now) {
  const json document = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return fail(ErrorCode::ParseError, "the seed is not a JSON object");
  }
  const Reader root(document, "");
  Seed seed;
  auto project_id = root.string("project_id", std::nullopt);
  auto region = root.string("region", std::string("cn-north-4"));
  auto second_bind = root.string("second_bind", std::string("replace"));
  if (!project_id || !region || !second_bind) {
    return fail(invalid_seed("(root)", "expected {project_id, region?, second_bind?} strings"));
  }
  seed.model.project_id = *project_id;
  seed.model.region = *region;
  const auto mode = parse_second_bind(*second_bind);
  if (!mode) {
    return fail(invalid_seed("second_bind", "expected \"replace\", \"refuse\" or \"unbind\""));
  }
  seed.model.second_bind = *mode;
  if (auto account = parse_account(root, seed.model, now); !account) {
    return fail(std::move(account.error()));
  }
  auto credentials = parse_credentials(root);
  if (!credentials) {
    return fail(std::move(credentials.error()));
  }
  seed.credentials = std::move(*credentials);
  return seed;
}

Result<Seed> load_seed(const std::filesystem::path& path, SystemTime now) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return fail(Error(ErrorCode::NotFound, "cannot open the file")
                    .with_context("reading seed '" + path.string() + "'"));
  }
  std::ostringstream text;
  text << file.rdbuf();
  auto seed = parse_seed(text.str(), now);
  if (!seed) {
    return fail(std::move(seed.error()).with_context("seed '" + path.string() + "'"));
  }
  return seed;
}

}  // namespace apig_certd::sim
