// APIG response bodies -> models, with nlohmann-json in its non-throwing mode.
//
// parse(..., allow_exceptions = false) gives a discarded value for bad JSON, and every field
// access below checks the type first, so no nlohmann exception can escape (a wrong type would
// otherwise throw type_error). A small Reader carries the JSON path of the object it reads,
// so an error says exactly which field was wrong.

#include "daemon/apig/response_parser.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace apig_certd::apig {

namespace {

using nlohmann::json;

constexpr std::size_t kShownBodyBytes = 120;

Error bad_response(std::string message) {
  return Error(ErrorCode::Unavailable, "unexpected APIG response: " + std::move(message))
      .with_field("bad_response", "1");
}

std::string type_name(const json& value) {
  return value.type_name();
}

Result<json> parse_json(std::string_view body) {
  json document = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    std::string shown(body.substr(0, kShownBodyBytes));
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20) {
        c = ' ';
      }
    }
    return fail(bad_response("the body is not valid JSON (starts with '" + shown + "')"));
  }
  if (!document.is_object()) {
    return fail(bad_response("the body should be a JSON object, got " + type_name(document)));
  }
  return document;
}

// Typed access to one JSON object, remembering its path for messages.
class Reader {
 public:
  Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  // Missing or null -> fallback; present with another type -> error.
  Result<std::string> string(const char* key, std::string fallback = {}) const {
    const json* value = find(key);
    if (value == nullptr) {
      return fallback;
    }
    if (!value->is_string()) {
      return fail(wrong_type(key, "a string", *value));
    }
    return value->get<std::string>();
  }

  Result<long> integer(const char* key, long fallback = 0) const {
    const json* value = find(key);
    if (value == nullptr) {
      return fallback;
    }
    if (!value->is_number_integer()) {
      return fail(wrong_type(key, "an integer", *value));
    }
    return value->get<long>();
  }

  Result<bool> boolean(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) {
      return false;
    }
    if (!value->is_boolean()) {
      return fail(wrong_type(key, "true or false", *value));
    }
    return value->get<bool>();
  }

  Result<std::string> required_string(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) {
      return fail(bad_response("field '" + field_path(key) + "' is missing"));
    }
    return string(key);
  }

  Result<std::vector<std::string>> string_array(const char* key) const {
    std::vector<std::string> values;
    const json* array = find(key);
    if (array == nullptr) {
      return values;
    }
    if (!array->is_array()) {
      return fail(wrong_type(key, "an array", *array));
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const json& item = (*array)[i];
      if (!item.is_string()) {
        return fail(wrong_type(std::string(key) + "[" + std::to_string(i) + "]", "a string", item));
      }
      values.push_back(item.get<std::string>());
    }
    return values;
  }

  // Calls read(Reader of element) for each object in the array `key`.
  template <typename T, typename Fn>
  Result<std::vector<T>> objects(const char* key, Fn read) const {
    std::vector<T> items;
    const json* array = find(key);
    if (array == nullptr) {
      return items;
    }
    if (!array->is_array()) {
      return fail(wrong_type(key, "an array", *array));
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string item_path = field_path(key) + "[" + std::to_string(i) + "]";
      const json& item = (*array)[i];
      if (!item.is_object()) {
        return fail(
            bad_response("field '" + item_path + "' should be an object, got " + type_name(item)));
      }
      Result<T> parsed = read(Reader(item, item_path));
      if (!parsed) {
        return fail(std::move(parsed.error()));
      }
      items.push_back(std::move(*parsed));
    }
    return items;
  }

 private:
  const json* find(const char* key) const {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }

  [[nodiscard]] std::string field_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  Error wrong_type(std::string_view key, const char* expected, const json& value) const {
    return bad_response("field '" + field_path(key) + "' should be " + expected + ", got " +
                        type_name(value));
  }

  const json& object_;
  std::string path_;
};

CnameStatus to_cname_status(long value) {
  if (value >= 1 && value <= 4) {
    return static_cast<CnameStatus>(value);
  }
  return CnameStatus::Unknown;
}

CertificateAlgorithm to_certificate_algorithm(std::string_view text) {
  if (text == "RSA") {
    return CertificateAlgorithm::Rsa;
  }
  if (text == "ECC") {
    return CertificateAlgorithm::Ecc;
  }
  if (text == "SM2") {
    return CertificateAlgorithm::Sm2;
  }
  return CertificateAlgorithm::Unknown;
}

Result<SslInfo> read_ssl_info(const Reader& reader) {
  SslInfo info;
  auto ssl_id = reader.string("ssl_id");
  auto ssl_name = reader.string("ssl_name");
  auto algorithm = reader.string("algorithm_type");
  auto type = reader.integer("type");
  for (const Result<std::string>* field : {&ssl_id, &ssl_name, &algorithm}) {
    if (!*field) {
      return fail(field->error());
    }
  }
  if (!type) {
    return fail(std::move(type.error()));
  }
  auto trusted = reader.boolean("is_has_trusted_root_ca");
  if (!trusted) {
    return fail(std::move(trusted.error()));
  }
  info.has_trusted_root_ca = *trusted;
  info.ssl_id = std::move(*ssl_id);
  info.ssl_name = std::move(*ssl_name);
  info.algorithm = to_certificate_algorithm(*algorithm);
  info.scope = *type == 1   ? CertificateScope::Instance
               : *type == 2 ? CertificateScope::Global
                            : CertificateScope::Unknown;
  return info;
}

Result<UrlDomain> read_url_domain(const Reader& reader) {
  UrlDomain domain;
  auto id = reader.required_string("id");
  auto name = reader.string("domain");
  auto ssl_id = reader.string("ssl_id");
  auto ssl_name = reader.string("ssl_name");
  auto min_ssl = reader.string("min_ssl_version");
  for (const Result<std::string>* field : {&id, &name, &ssl_id, &ssl_name, &min_ssl}) {
    if (!*field) {
      return fail(field->error());
    }
  }
  auto status = reader.integer("cname_status");
  if (!status) {
    return fail(std::move(status.error()));
  }
  auto infos = reader.objects<SslInfo>("ssl_infos", read_ssl_info);
  if (!infos) {
    return fail(std::move(infos.error()));
  }
  auto verifies = reader.boolean("verified_client_certificate_enabled");
  auto trusted = reader.boolean("is_has_trusted_root_ca");
  for (const Result<bool>* field : {&verifies, &trusted}) {
    if (!*field) {
      return fail(field->error());
    }
  }
  domain.verifies_client_certificates = *verifies;
  domain.has_trusted_root_ca = *trusted;
  domain.id = std::move(*id);
  domain.domain = std::move(*name);
  domain.ssl_id = std::move(*ssl_id);
  domain.ssl_name = std::move(*ssl_name);
  domain.min_ssl_version = std::move(*min_ssl);
  domain.cname_status = to_cname_status(*status);
  domain.ssl_infos = std::move(*infos);
  return domain;
}

Result<Group> read_group(const Reader& reader) {
  Group group;
  auto id = reader.required_string("id");
  auto name = reader.string("name");
  auto sl_domain = reader.string("sl_domain");
  for (const Result<std::string>* field : {&id, &name, &sl_domain}) {
    if (!*field) {
      return fail(field->error());
    }
  }
  auto sl_domains = reader.string_array("sl_domains");
  if (!sl_domains) {
    return fail(std::move(sl_domains.error()));
  }
  auto domains = reader.objects<UrlDomain>("url_domains", read_url_domain);
  if (!domains) {
    return fail(std::move(domains.error()));
  }
  group.id = std::move(*id);
  group.name = std::move(*name);
  group.sl_domain = std::move(*sl_domain);
  group.sl_domains = std::move(*sl_domains);
  group.url_domains = std::move(*domains);
  return group;
}

Result<Certificate> read_certificate(const Reader& reader) {
  Certificate certificate;
  auto id = reader.required_string("id");
  auto name = reader.string("name");
  auto type = reader.string("type");
  auto instance_id = reader.string("instance_id");
  auto common_name = reader.string("common_name");
  auto not_before = reader.string("not_before");
  auto not_after = reader.string("not_after");
  auto signature_algorithm = reader.string("signature_algorithm");
  auto algorithm_type = reader.string("algorithm_type");
  for (const Result<std::string>* field :
       {&id, &name, &type, &instance_id, &common_name, &not_before, &not_after,
        &signature_algorithm, &algorithm_type}) {
    if (!*field) {
      return fail(field->error());
    }
  }
  auto san = reader.string_array("san");
  if (!san) {
    return fail(std::move(san.error()));
  }
  auto trusted = reader.boolean("is_has_trusted_root_ca");
  if (!trusted) {
    return fail(std::move(trusted.error()));
  }
  certificate.has_trusted_root_ca = *trusted;
  certificate.id = std::move(*id);
  certificate.name = std::move(*name);
  certificate.type = std::move(*type);
  certificate.instance_id = std::move(*instance_id);
  certificate.common_name = std::move(*common_name);
  certificate.not_before = std::move(*not_before);
  certificate.not_after = std::move(*not_after);
  certificate.signature_algorithm = std::move(*signature_algorithm);
  certificate.algorithm_type = std::move(*algorithm_type);
  certificate.san = std::move(*san);
  return certificate;
}

}  // namespace

Result<Group> parse_group(std::string_view body) {
  Result<json> document = parse_json(body);
  if (!document) {
    return fail(std::move(document.error()));
  }
  return read_group(Reader(*document, ""));
}

Result<BoundDomain> parse_bound_domain(std::string_view body) {
  Result<json> document = parse_json(body);
  if (!document) {
    return fail(std::move(document.error()));
  }
  const Reader reader(*document, "");
  BoundDomain bound;
  auto id = reader.required_string("id");
  auto url_domain = reader.string("url_domain");
  auto ssl_id = reader.string("ssl_id");
  auto ssl_name = reader.string("ssl_name");
  for (const Result<std::string>* field : {&id, &url_domain, &ssl_id, &ssl_name}) {
    if (!*field) {
      return fail(field->error());
    }
  }
  auto status = reader.integer("status");
  if (!status) {
    return fail(std::move(status.error()));
  }
  bound.id = std::move(*id);
  bound.url_domain = std::move(*url_domain);
  bound.ssl_id = std::move(*ssl_id);
  bound.ssl_name = std::move(*ssl_name);
  bound.status = to_cname_status(*status);
  return bound;
}

Result<Certificate> parse_certificate(std::string_view body) {
  Result<json> document = parse_json(body);
  if (!document) {
    return fail(std::move(document.error()));
  }
  return read_certificate(Reader(*document, ""));
}

Result<std::vector<Certificate>> parse_certificate_list(std::string_view body) {
  Result<json> document = parse_json(body);
  if (!document) {
    return fail(std::move(document.error()));
  }
  return Reader(*document, "").objects<Certificate>("certs", read_certificate);
}

Result<long> parse_attached_domain_count(std::string_view body) {
  Result<json> document = parse_json(body);
  if (!document) {
    return fail(std::move(document.error()));
  }
  const Reader reader(*document, "");
  Result<std::vector<std::string>> ids = reader.objects<std::string>(
      "bound_domains", [](const Reader& domain) { return domain.string("id"); });
  if (!ids) {
    return fail(std::move(ids.error()));
  }
  Result<long> total = reader.integer("total", static_cast<long>(ids->size()));
  if (!total) {
    return fail(std::move(total.error()));
  }
  return std::max(*total, static_cast<long>(ids->size()));
}

ErrorBody parse_error_body(std::string_view body) {
  ErrorBody parsed;
  const json document = json::parse(body.begin(), body.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return parsed;
  }
  const auto text = [&](const char* key) -> std::string {
    const auto it = document.find(key);
    return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  parsed.error_code = text("error_code");
  parsed.error_msg = text("error_msg");
  if (parsed.error_code.empty()) {
    parsed.error_code = text("code");
    parsed.error_msg = text("message");
  }
  parsed.request_id = text("request_id");
  // IAM nests its errors: {"error": {"code": 401, "message": "..."}}.
  const auto nested = document.find("error");
  if (parsed.error_code.empty() && nested != document.end() && nested->is_object()) {
    const auto message = nested->find("message");
    if (message != nested->end() && message->is_string()) {
      parsed.error_msg = message->get<std::string>();
    }
    const auto code = nested->find("code");
    if (code != nested->end() && (code->is_string() || code->is_number_integer())) {
      parsed.error_code =
          code->is_string() ? code->get<std::string>() : std::to_string(code->get<long>());
    }
  }
  return parsed;
}

}  // namespace apig_certd::apig
