// The APIG v2 endpoints of the certificate-binding family (REFERENCE.md §2.4-2.9).
//
// Each request is authenticated first (401), then the path's project is checked against the
// account (403 APIG.1005, or 401 APIG.1003 when X-Project-Id disagrees with the path), then
// routed. Lookups fail outside-in with APIG's codes: instance APIG.3030, group APIG.3001,
// domain APIG.3020, certificate APIG.3021, a certificate not bound to the domain APIG.3097.
//
// Uploads (POST on a domain, PUT of a certificate) are checked in a fixed order: the three
// fields present (APIG.2001), the name rule (APIG.2012), then certificate_check.h's PEM,
// key, expiry, SAN, chain and 2038 checks. Only the SHA-256 of the private key is stored.
//
// The one-step bind creates an "instance" certificate and binds it; DELETE on the domain's
// certificate unbinds and deletes it (§2.5). What a second bind does is the second_bind
// switch: replace (the old certificate is unbound and deleted), refuse (APIG.2051), or unbind
// (the old certificate is unbound and its object stays, as renewals leave them behind on
// APIG according to issue 9; what apig-certd's cleanup then deletes).
// The private key is also kept in memory (model.h), only for the TLS listener.
// Deleting a certificate object that is still bound is refused with 400 APIG.3470, a code the
// simulator picked (the documentation names none).
// The certificate-object flow (strategy "attach"): POST /certificates creates an object bound
// to nothing; a second object of one name on one instance (or among the global ones) is
// refused with 400 APIG.3325, our reading of the code the create examples show. Attach by
// domain binds an object; what it does when the slot of its algorithm is taken follows the
// second_bind switch as the one-step bind does, except that it never deletes an object
// (refuse: APIG.2051; replace and unbind: the old one is unbound). Attaching what is already
// attached is a no-op (204). attached-domains leaves ssl_id and ssl_name empty, as real APIG
// does (REFERENCE.md §2.9, Terraform PR #7896).

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

#include "daemon/crypto/digest.h"
#include "tests/apig-sim/render.h"
#include "tests/apig-sim/simulator.h"
#include "tests/apig-sim/upload.h"

namespace apig_certd::sim {

namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "^/v2/([^/]+)/apigw";

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = dump_json(body);
  return response;
}

HttpResponse no_content() {
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

ApigError not_found(std::string code, std::string message) {
  return ApigError{404, std::move(code), std::move(message)};
}

// offset/limit per REFERENCE.md §1: offset < 0 -> 0; limit <= 0 -> 20; limit > 500 -> 500.
std::pair<std::size_t, std::size_t> page_of(const HttpRequest& request) {
  const auto number = [&](std::string_view name, long fallback) {
    const std::string text = request.query_value(name).value_or("");
    long value = fallback;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() ? value : fallback;
  };
  const long offset = std::max(0L, number("offset", 0));
  long limit = number("limit", 20);
  limit = limit <= 0 ? 20 : std::min(limit, 500L);
  return {static_cast<std::size_t>(offset), static_cast<std::size_t>(limit)};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

struct DomainPath {
  Instance* instance;
  Group* group;
  Domain* domain;
};

// The instance, group and domain named by match[2..4], or the 404 for the first missing.
tl::expected<DomainPath, ApigError> lookup_domain(Model& model, const std::smatch& match) {
  Instance* instance = model.find_instance(match[2].str());
  if (instance == nullptr) {
    return tl::unexpected(not_found("APIG.3030", "The instance does not exist"));
  }
  Group* group = find_group(*instance, match[3].str());
  if (group == nullptr) {
    return tl::unexpected(not_found("APIG.3001", "The API group does not exist"));
  }
  Domain* domain = find_domain(*group, match[4].str());
  if (domain == nullptr) {
    return tl::unexpected(not_found("APIG.3020", "The URL domain does not exist"));
  }
  return DomainPath{instance, group, domain};
}

// The one certificate id of an attach or detach body {"certificate_ids":["<id>"]}.
tl::expected<std::string, ApigError> certificate_id_of(const json& body) {
  const json* ids =
      body.is_object() && body.contains("certificate_ids") ? &body.at("certificate_ids") : nullptr;
  if (ids == nullptr || !ids->is_array() || ids->size() != 1 || !(*ids)[0].is_string()) {
    return tl::unexpected(
        ApigError{400, "APIG.2012", "Invalid parameter value, parameterName:certificate_ids"});
  }
  return (*ids)[0].get<std::string>();
}

}  // namespace

std::vector<Simulator::Route> Simulator::apig_routes() {
  const std::string prefix(kPrefix);
  const std::string domain = prefix + "/instances/([^/]+)/api-groups/([^/]+)/domains/([^/]+)";
  return {
      {"GET", std::regex(prefix + "/instances/([^/]+)/api-groups/?$"), &Simulator::list_groups},
      {"GET", std::regex(prefix + "/instances/([^/]+)/api-groups/([^/]+)$"),
       &Simulator::show_group},
      {"POST", std::regex(domain + "/certificate$"), nullptr, &Simulator::bind_certificate},
      {"GET", std::regex(domain + "/certificate/([^/]+)$"), &Simulator::show_domain_certificate},
      {"DELETE", std::regex(domain + "/certificate/([^/]+)$"),
       &Simulator::delete_domain_certificate},
      {"POST", std::regex(domain + "/certificates/detach$"), &Simulator::detach_certificate},
      {"POST", std::regex(domain + "/certificates/attach$"), &Simulator::attach_certificate},
      {"POST", std::regex(prefix + "/certificates/?$"), nullptr, &Simulator::create_certificate},
      {"GET", std::regex(prefix + "/certificates/?$"), &Simulator::list_certificates},
      {"GET", std::regex(prefix + "/certificates/([^/]+)/attached-domains$"),
       &Simulator::attached_domains},
      {"GET", std::regex(prefix + "/certificates/([^/]+)$"), &Simulator::show_certificate},
      {"PUT", std::regex(prefix + "/certificates/([^/]+)$"), nullptr,
       &Simulator::update_certificate},
      {"DELETE", std::regex(prefix + "/certificates/([^/]+)$"), &Simulator::delete_certificate},
  };
}

HttpResponse Simulator::handle_apig(const HttpRequest& request, std::string_view request_id,
                                    const CheckedUpload* upload) {
  if (auto denied = authenticator_.check(request, clock_.now())) {
    return error_response(*denied, request_id);
  }
  for (const Route& route : routes_) {
    std::smatch match;
    if (route.method != request.method || !std::regex_match(request.path, match, route.pattern)) {
      continue;
    }
    const std::string project_id = match[1].str();
    const auto header_project = request.header("X-Project-Id");
    if (header_project && *header_project != project_id) {
      return error_response({401, "APIG.1003",
                             "X-Project-Id does not match the project in the "
                             "request path"},
                            request_id);
    }
    if (project_id != model_.project_id) {
      return error_response({403, "APIG.1005",
                             "No permissions to request this method: project " + project_id +
                                 " is not this account's project"},
                            request_id);
    }
    if (route.upload_handler != nullptr) {
      if (upload != nullptr) {
        return (this->*route.upload_handler)(request, match, request_id, *upload);
      }
      // Not checked in advance (only POST and PUT under /v2/ are): check it here.
      return (this->*route.upload_handler)(request, match, request_id,
                                           check_upload_body(request.body, clock_.now()));
    }
    return (this->*route.handler)(request, match, request_id);
  }
  return error_response(
      {404, "APIGW.0101", "The API does not exist or has not been published in an environment"},
      request_id);
}

HttpResponse Simulator::list_groups(const HttpRequest& request, const std::smatch& match,
                                    std::string_view request_id) {
  Instance* instance = model_.find_instance(match[2].str());
  if (instance == nullptr) {
    return error_response(not_found("APIG.3030", "The instance does not exist"), request_id);
  }
  const auto id = request.query_value("id");
  const auto name = request.query_value("name");
  const bool precise = request.query_value("precise_search") == "name";
  std::vector<Group*> matching;
  for (Group& group : instance->groups) {
    const bool name_ok = !name || (precise ? group.name == *name : contains(group.name, *name));
    if ((!id || group.id == *id) && name_ok) {
      matching.push_back(&group);
    }
  }
  const auto [offset, limit] = page_of(request);
  json groups = json::array();
  for (std::size_t i = offset; i < matching.size() && i < offset + limit; ++i) {
    advance_cname(*matching[i]);
    groups.push_back(group_json(*matching[i], model_));
  }
  const std::size_t size = groups.size();
  return json_response(200, {{"size", size}, {"total", matching.size()}, {"groups", groups}});
}

HttpResponse Simulator::show_group(const HttpRequest& /*request*/, const std::smatch& match,
                                   std::string_view request_id) {
  Instance* instance = model_.find_instance(match[2].str());
  if (instance == nullptr) {
    return error_response(not_found("APIG.3030", "The instance does not exist"), request_id);
  }
  Group* group = find_group(*instance, match[3].str());
  if (group == nullptr) {
    return error_response(not_found("APIG.3001", "The API group does not exist"), request_id);
  }
  advance_cname(*group);
  return json_response(200, group_json(*group, model_));
}

HttpResponse Simulator::bind_certificate(const HttpRequest& /*request*/, const std::smatch& match,
                                         std::string_view request_id,
                                         const CheckedUpload& checked) {
  const auto path = lookup_domain(model_, match);
  if (!path) {
    return error_response(path.error(), request_id);
  }
  Instance* instance = path->instance;
  Group* group = path->group;
  Domain* domain = path->domain;
  const auto& upload = checked.upload;
  if (!upload) {
    return error_response(upload.error(), request_id);
  }
  const std::vector<std::string> names = {domain->domain};
  auto facts = facts_for_domains(checked, names);
  if (!facts) {
    return error_response(facts.error(), request_id);
  }
  // A domain holds one certificate per algorithm: only a certificate of the same algorithm
  // is in the way (of another, the new one is added to the set).
  if (const Certificate* in_the_way = model_.in_slot(*domain, facts->algorithm_type)) {
    if (model_.second_bind == SecondBind::Refuse) {
      return error_response(
          {400, "APIG.2051", "A domain name cannot be bound with different certificates"},
          request_id);
    }
    const std::string old_id = in_the_way->id;
    domain->unbind(old_id);
    if (model_.second_bind == SecondBind::Replace && model_.domains_bound_to(old_id).empty()) {
      model_.certificates.erase(old_id);
    }
  }
  const SystemTime now = clock_.now();
  Certificate certificate{.id = random_id(),
                          .name = upload->name,
                          .type = "instance",
                          .instance_id = instance->id,
                          .facts = std::move(*facts),
                          .content = upload->cert_content,
                          .private_key_sha256 = crypto::sha256_hex(upload->private_key),
                          .trusted_root_ca = {},
                          .private_key = Secret(upload->private_key),
                          .created = now,
                          .updated = now};
  domain->certificate_ids.push_back(certificate.id);
  restart_cname_sequence(*domain);
  const json body = bind_response_json(*instance, *group, *domain, certificate);
  const std::string id = certificate.id;
  model_.certificates.emplace(id, std::move(certificate));
  // The one-step bind carries no CA: a domain that verified clients stops doing so.
  settle_client_verification(*domain, model_);
  return json_response(201, body);
}

HttpResponse Simulator::show_domain_certificate(const HttpRequest& request,
                                                const std::smatch& match,
                                                std::string_view request_id) {
  const auto path = lookup_domain(model_, match);
  if (!path) {
    return error_response(path.error(), request_id);
  }
  const Domain* domain = path->domain;
  const Certificate* certificate = model_.find_certificate(match[5].str());
  if (certificate == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  if (!domain->has_certificate(certificate->id)) {
    return error_response(not_found("APIG.3097",
                                    "The binding record of the SSL certificate "
                                    "and domain does not exist"),
                          request_id);
  }
  if (request.method == "DELETE") {
    // The call unbinds and deletes the object: one that still serves another domain (a
    // global certificate, say) is refused, our assumption of what APIG does (the docs say
    // only unbound objects can be deleted, REFERENCE.md §2.9).
    if (model_.domains_bound_to(certificate->id).size() > 1) {
      return error_response(
          {400, "APIG.3470", "The certificate is bound to other domains and cannot be deleted"},
          request_id);
    }
    path->domain->unbind(certificate->id);
    model_.certificates.erase(match[5].str());
    return no_content();
  }
  return json_response(200, certificate_json(*certificate, model_));
}

HttpResponse Simulator::delete_domain_certificate(const HttpRequest& request,
                                                  const std::smatch& match,
                                                  std::string_view request_id) {
  // Same lookups and errors as the GET; show_domain_certificate branches on the method.
  return show_domain_certificate(request, match, request_id);
}

// POST .../domains/{domain_id}/certificates/detach, {"certificate_ids":["<one id>"]}
// (REFERENCE.md §2.9): unbinds the certificate from this domain only; the object stays, with
// its other domains. 204.
HttpResponse Simulator::detach_certificate(const HttpRequest& request, const std::smatch& match,
                                           std::string_view request_id) {
  const auto path = lookup_domain(model_, match);
  if (!path) {
    return error_response(path.error(), request_id);
  }
  const auto ids = certificate_id_of(json::parse(request.body, nullptr, false));
  if (!ids) {
    return error_response(ids.error(), request_id);
  }
  const std::string& id = *ids;
  if (model_.find_certificate(id) == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  if (!path->domain->has_certificate(id)) {
    return error_response(not_found("APIG.3097",
                                    "The binding record of the SSL certificate "
                                    "and domain does not exist"),
                          request_id);
  }
  path->domain->unbind(id);
  return no_content();
}

// POST .../domains/{domain_id}/certificates/attach, {"certificate_ids":["<one id>"],
// "verified_client_certificate_enabled":bool} (REFERENCE.md §2.9). 204.
HttpResponse Simulator::attach_certificate(const HttpRequest& request, const std::smatch& match,
                                           std::string_view request_id) {
  const auto path = lookup_domain(model_, match);
  if (!path) {
    return error_response(path.error(), request_id);
  }
  const json body = json::parse(request.body, nullptr, false);
  const auto id = certificate_id_of(body);
  if (!id) {
    return error_response(id.error(), request_id);
  }
  const Certificate* certificate = model_.find_certificate(*id);
  if (certificate == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  Domain& domain = *path->domain;
  if (certificate->type == "instance" && certificate->instance_id != path->instance->id) {
    return error_response({400, "APIG.2012",
                           "Invalid parameter value, parameterName:certificate_ids (the "
                           "certificate belongs to another instance)"},
                          request_id);
  }
  if (first_uncovered(certificate->facts.san, std::span(&domain.domain, 1))) {
    return error_response(
        {400, "APIG.2103", "The certificate domain name does not match the custom domain name"},
        request_id);
  }
  const auto verify = body.find("verified_client_certificate_enabled");
  if (verify != body.end() && !verify->is_boolean()) {
    return error_response({400, "APIG.2012",
                           "Invalid parameter value, "
                           "parameterName:verified_client_certificate_enabled"},
                          request_id);
  }
  if (domain.has_certificate(certificate->id)) {
    return no_content();
  }
  if (const Certificate* in_the_way = model_.in_slot(domain, certificate->facts.algorithm_type)) {
    if (model_.second_bind == SecondBind::Refuse) {
      return error_response(
          {400, "APIG.2051", "A domain name cannot be bound with different certificates"},
          request_id);
    }
    domain.unbind(in_the_way->id);
  }
  domain.certificate_ids.push_back(certificate->id);
  restart_cname_sequence(domain);
  if (verify != body.end()) {
    domain.verified_client_certificate_enabled = verify->get<bool>();
  }
  settle_client_verification(domain, model_);
  return no_content();
}

// POST /v2/{project_id}/apigw/certificates (REFERENCE.md §2.9): an object bound to nothing.
HttpResponse Simulator::create_certificate(const HttpRequest& /*request*/,
                                           const std::smatch& /*match*/,
                                           std::string_view request_id,
                                           const CheckedUpload& checked) {
  const auto& upload = checked.upload;
  if (!upload) {
    return error_response(upload.error(), request_id);
  }
  auto facts = facts_for_domains(checked, std::span<const std::string>());
  if (!facts) {
    return error_response(facts.error(), request_id);
  }
  const std::string type = upload->type.value_or("global");
  if (type != "global" && type != "instance") {
    return error_response({400, "APIG.2012", "Invalid parameter value, parameterName:type"},
                          request_id);
  }
  const std::string instance_id = type == "global" ? "common" : upload->instance_id.value_or("");
  if (type == "instance" && model_.find_instance(instance_id) == nullptr) {
    return error_response(not_found("APIG.3030", "The instance does not exist"), request_id);
  }
  if (upload->algorithm_type && *upload->algorithm_type != facts->algorithm_type) {
    return error_response(
        {400, "APIG.2012", "Invalid parameter value, parameterName:algorithm_type"}, request_id);
  }
  if (upload->trusted_root_ca && type != "instance") {
    return error_response(
        {400, "APIG.2012", "Invalid parameter value, parameterName:trusted_root_ca"}, request_id);
  }
  for (const auto& [id, existing] : model_.certificates) {
    if (existing.name == upload->name && existing.type == type &&
        existing.instance_id == instance_id) {
      return error_response({400, "APIG.3325", "The certificate name already exists"}, request_id);
    }
  }
  const SystemTime now = clock_.now();
  Certificate certificate{.id = random_id(),
                          .name = upload->name,
                          .type = type,
                          .instance_id = instance_id,
                          .facts = std::move(*facts),
                          .content = upload->cert_content,
                          .private_key_sha256 = crypto::sha256_hex(upload->private_key),
                          .trusted_root_ca = upload->trusted_root_ca.value_or(""),
                          .private_key = Secret(upload->private_key),
                          .created = now,
                          .updated = now};
  const json body = certificate_json(certificate, model_);
  const std::string id = certificate.id;
  model_.certificates.emplace(id, std::move(certificate));
  return json_response(200, body);
}

// GET /certificates/{certificate_id}/attached-domains: every domain it is bound to.
HttpResponse Simulator::attached_domains(const HttpRequest& request, const std::smatch& match,
                                         std::string_view request_id) {
  const std::string id = match[2].str();
  if (model_.find_certificate(id) == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  json bound = json::array();
  for (const Instance& instance : model_.instances) {
    for (const Group& group : instance.groups) {
      for (const Domain& domain : group.domains) {
        if (!domain.has_certificate(id)) {
          continue;
        }
        bound.push_back(
            {{"url_domain", domain.domain},
             {"id", domain.id},
             {"status", domain.cname_status},
             {"min_ssl_version", domain.min_ssl_version},
             {"verified_client_certificate_enabled", domain.verified_client_certificate_enabled},
             {"ssl_id", ""},
             {"ssl_name", ""},
             {"api_group_id", group.id},
             {"api_group_name", group.name},
             {"instance_id", instance.id}});
      }
    }
  }
  const auto [offset, limit] = page_of(request);
  json page = json::array();
  for (std::size_t i = offset; i < bound.size() && i < offset + limit; ++i) {
    page.push_back(bound[i]);
  }
  const std::size_t size = page.size();
  return json_response(200, {{"size", size}, {"total", bound.size()}, {"bound_domains", page}});
}

HttpResponse Simulator::list_certificates(const HttpRequest& request, const std::smatch& /*match*/,
                                          std::string_view /*request_id*/) {
  const auto name = request.query_value("name");
  const auto common_name = request.query_value("common_name");
  const auto algorithm_type = request.query_value("algorithm_type");
  const auto type = request.query_value("type");
  const auto instance_id = request.query_value("instance_id");
  std::vector<const Certificate*> matching;
  for (const auto& [id, certificate] : model_.certificates) {
    if ((!name || contains(certificate.name, *name)) &&
        (!common_name || certificate.facts.common_name == *common_name) &&
        (!algorithm_type || certificate.facts.algorithm_type == *algorithm_type) &&
        (!type || certificate.type == *type) &&
        (!instance_id || certificate.instance_id == *instance_id)) {
      matching.push_back(&certificate);
    }
  }
  const auto [offset, limit] = page_of(request);
  json certs = json::array();
  for (std::size_t i = offset; i < matching.size() && i < offset + limit; ++i) {
    certs.push_back(certificate_base_json(*matching[i], model_));
  }
  const std::size_t size = certs.size();
  return json_response(200, {{"size", size}, {"total", matching.size()}, {"certs", certs}});
}

HttpResponse Simulator::show_certificate(const HttpRequest& /*request*/, const std::smatch& match,
                                         std::string_view request_id) {
  const Certificate* certificate = model_.find_certificate(match[2].str());
  if (certificate == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  return json_response(200, certificate_json(*certificate, model_));
}

HttpResponse Simulator::update_certificate(const HttpRequest& /*request*/, const std::smatch& match,
                                           std::string_view request_id,
                                           const CheckedUpload& checked) {
  Certificate* certificate = model_.find_certificate(match[2].str());
  if (certificate == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  const auto& upload = checked.upload;
  if (!upload) {
    return error_response(upload.error(), request_id);
  }
  const std::vector<Domain*> bound = model_.domains_bound_to(certificate->id);
  std::vector<std::string> names;
  for (const Domain* domain : bound) {
    names.push_back(domain->domain);
  }
  auto facts = facts_for_domains(checked, names);
  if (!facts) {
    return error_response(facts.error(), request_id);
  }
  // The PUT body is the create body, with its defaults (REFERENCE.md §2.9): a type left out
  // reads as "global", which an instance object cannot become (our assumption: APIG.2012).
  if (upload->type.value_or("global") != certificate->type ||
      (certificate->type == "instance" &&
       upload->instance_id.value_or("") != certificate->instance_id)) {
    const std::string field =
        upload->type.value_or("global") != certificate->type ? "type" : "instance_id";
    return error_response({400, "APIG.2012",
                           "Invalid parameter value, parameterName:" + field +
                               " (a certificate's type and instance cannot change)"},
                          request_id);
  }
  if (upload->algorithm_type && *upload->algorithm_type != facts->algorithm_type) {
    return error_response(
        {400, "APIG.2012", "Invalid parameter value, parameterName:algorithm_type"}, request_id);
  }
  certificate->name = upload->name;
  certificate->facts = std::move(*facts);
  certificate->content = upload->cert_content;
  certificate->private_key_sha256 = crypto::sha256_hex(upload->private_key);
  certificate->private_key = Secret(upload->private_key);
  // Left out, the CA is gone: client verification on its domains with it.
  certificate->trusted_root_ca = upload->trusted_root_ca.value_or("");
  certificate->updated = clock_.now();
  for (Domain* domain : bound) {
    restart_cname_sequence(*domain);
    settle_client_verification(*domain, model_);
  }
  return json_response(200, certificate_json(*certificate, model_));
}

HttpResponse Simulator::delete_certificate(const HttpRequest& /*request*/, const std::smatch& match,
                                           std::string_view request_id) {
  const std::string id = match[2].str();
  if (model_.find_certificate(id) == nullptr) {
    return error_response(not_found("APIG.3021", "The SSL certificate does not exist"), request_id);
  }
  if (!model_.domains_bound_to(id).empty()) {
    return error_response({400, "APIG.3470",
                           "The certificate is bound to domain names and "
                           "cannot be deleted; unbind it first"},
                          request_id);
  }
  model_.certificates.erase(id);
  return no_content();
}

}  // namespace apig_certd::sim
