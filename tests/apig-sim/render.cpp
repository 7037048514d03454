// JSON rendering of the simulated account, field for field as REFERENCE.md §2 lists them.
//
// Fields APIG documents but the simulator has no model for (ingress ports, ROMA app, call
// limits) are rendered with fixed, plausible values so clients that read them do not trip.

#include "tests/apig-sim/render.h"

#include "daemon/core/time_format.h"

namespace apig_certd::sim {

namespace {

using nlohmann::json;

json ssl_info_json(const Certificate& certificate) {
  return {
      {"ssl_id", certificate.id},
      {"ssl_name", certificate.name},
      {"algorithm_type", certificate.facts.algorithm_type},
      {"type", certificate.type == "instance" ? 1 : 2},
      {"is_has_trusted_root_ca", !certificate.trusted_root_ca.empty()},
  };
}

json certificate_state_json(const Certificate& certificate) {
  return {
      {"id", certificate.id},
      {"name", certificate.name},
      {"type", certificate.type},
      {"fingerprint", certificate.facts.fingerprint},
      {"not_after", iso_time(certificate.facts.not_after)},
      {"san", certificate.facts.san},
      {"algorithm_type", certificate.facts.algorithm_type},
      {"private_key_sha256", certificate.private_key_sha256},
      {"content", certificate.content},
      {"trusted_root_ca", certificate.trusted_root_ca},
  };
}

json domain_state_json(const Domain& domain) {
  json state = {
      {"id", domain.id},
      {"domain", domain.domain},
      {"cname_status", domain.cname_status},
      {"cname_sequence", domain.cname_sequence},
      {"certificate_ids", domain.certificate_ids},
      {"verified_client_certificate_enabled", domain.verified_client_certificate_enabled},
  };
  // The last certificate bound (what the TLS listener serves), null when none: what tests
  // written for one certificate per domain read.
  state["certificate_id"] =
      domain.certificate_ids.empty() ? json(nullptr) : json(domain.certificate_ids.back());
  state["cname_step"] = domain.cname_step ? json(*domain.cname_step) : json(nullptr);
  return state;
}

}  // namespace

std::string iso_time(SystemTime time) {
  return format_utc_iso8601(time);
}

// "2020-01-04T09:05:22.701000Z".
std::string iso_time_micros(SystemTime time) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          time.time_since_epoch() % std::chrono::seconds(1))
                          .count();
  // micros is in [0, 999999] (time after the epoch), so six digits always suffice.
  std::string digits = std::to_string(micros);
  digits.insert(0, 6 - std::min<std::size_t>(digits.size(), 6), '0');
  std::string text = iso_time(time);
  text.insert(text.size() - 1, "." + digits);
  return text;
}

std::string dump_json(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json url_domain_json(const Domain& domain, const Model& model) {
  // ssl_id/ssl_name show the RSA certificate only (REFERENCE.md §2.7); ssl_infos every one.
  const Certificate* rsa = model.in_slot(domain, "RSA");
  json ssl_infos = json::array();
  bool every_one_has_a_ca = !domain.certificate_ids.empty();
  for (const std::string& id : domain.certificate_ids) {
    if (const Certificate* certificate = model.find_certificate(id)) {
      ssl_infos.push_back(ssl_info_json(*certificate));
      every_one_has_a_ca = every_one_has_a_ca && !certificate->trusted_root_ca.empty();
    }
  }
  return {
      {"id", domain.id},
      {"domain", domain.domain},
      {"cname_status", domain.cname_status},
      {"ssl_id", rsa != nullptr ? rsa->id : ""},
      {"ssl_name", rsa != nullptr ? rsa->name : ""},
      {"min_ssl_version", domain.min_ssl_version},
      {"verified_client_certificate_enabled", domain.verified_client_certificate_enabled},
      {"is_has_trusted_root_ca", every_one_has_a_ca},
      {"ingress_http_port", 80},
      {"ingress_https_port", 443},
      {"ssl_infos", std::move(ssl_infos)},
  };
}

json group_json(const Group& group, const Model& model) {
  json body = {
      {"id", group.id},
      {"name", group.name},
      {"status", 1},
      {"sl_domain", group.sl_domain},
      {"sl_domains", json::array({group.sl_domain})},
      {"register_time", iso_time(group.registered)},
      {"update_time", iso_time(group.registered)},
      {"on_sell_status", 2},
      {"sl_domain_access_enabled", true},
      {"remark", ""},
      {"is_default", 2},
      {"version", "V1"},
      {"roma_app_id", ""},
      {"roma_app_name", ""},
  };
  if (!group.domains.empty()) {
    json domains = json::array();
    for (const Domain& domain : group.domains) {
      domains.push_back(url_domain_json(domain, model));
    }
    body["url_domains"] = std::move(domains);
  }
  return body;
}

json bind_response_json(const Instance& instance, const Group& group, const Domain& domain,
                        const Certificate& certificate) {
  return {
      {"url_domain", domain.domain},
      {"id", domain.id},
      {"status", domain.cname_status},
      {"min_ssl_version", domain.min_ssl_version},
      {"is_http_redirect_to_https", false},
      {"verified_client_certificate_enabled", false},
      {"ingress_http_port", 80},
      {"ingress_https_port", 443},
      // Like url_domains[].ssl_id/ssl_name, filled for an RSA certificate only: the reading of
      // the SDK's comment that makes a client re-read the group to learn an ECC one's id.
      {"ssl_name", certificate.facts.algorithm_type == "RSA" ? certificate.name : ""},
      {"ssl_id", certificate.facts.algorithm_type == "RSA" ? certificate.id : ""},
      {"instance_id", instance.id},
      {"api_group_id", group.id},
      {"api_group_name", group.name},
  };
}

json certificate_json(const Certificate& certificate, const Model& model) {
  const CertificateFacts& facts = certificate.facts;
  return {
      {"id", certificate.id},
      {"name", certificate.name},
      {"type", certificate.type},
      {"instance_id", certificate.instance_id},
      {"project_id", model.project_id},
      {"common_name", facts.common_name},
      {"san", facts.san},
      {"version", facts.version},
      {"organization", facts.organization},
      {"organizational_unit", facts.organizational_unit},
      {"locality", facts.locality},
      {"state", facts.state},
      {"country", facts.country},
      {"not_before", iso_time(facts.not_before)},
      {"not_after", iso_time(facts.not_after)},
      {"serial_number", facts.serial_number},
      {"issuer", facts.issuer},
      {"signature_algorithm", facts.signature_algorithm},
      {"create_time", iso_time(certificate.created)},
      {"update_time", iso_time(certificate.updated)},
      {"is_has_trusted_root_ca", !certificate.trusted_root_ca.empty()},
      {"algorithm_type", facts.algorithm_type},
  };
}

json certificate_base_json(const Certificate& certificate, const Model& model) {
  return {
      {"id", certificate.id},
      {"name", certificate.name},
      {"type", certificate.type},
      {"instance_id", certificate.instance_id},
      {"project_id", model.project_id},
      {"common_name", certificate.facts.common_name},
      {"san", certificate.facts.san},
      {"not_after", iso_time(certificate.facts.not_after)},
      {"signature_algorithm", certificate.facts.signature_algorithm},
      {"create_time", iso_time(certificate.created)},
      {"update_time", iso_time(certificate.updated)},
      {"is_has_trusted_root_ca", false},
      {"algorithm_type", certificate.facts.algorithm_type},
  };
}

json state_json(const Model& model) {
  json instances = json::array();
  for (const Instance& instance : model.instances) {
    json groups = json::array();
    for (const Group& group : instance.groups) {
      json domains = json::array();
      for (const Domain& domain : group.domains) {
        domains.push_back(domain_state_json(domain));
      }
      groups.push_back({{"id", group.id}, {"name", group.name}, {"domains", std::move(domains)}});
    }
    instances.push_back({{"id", instance.id}, {"groups", std::move(groups)}});
  }
  json certificates = json::array();
  for (const auto& [id, certificate] : model.certificates) {
    certificates.push_back(certificate_state_json(certificate));
  }
  return {
      {"project_id", model.project_id},
      {"second_bind", std::string(to_string(model.second_bind))},
      {"instances", std::move(instances)},
      {"certificates", std::move(certificates)},
  };
}

}  // namespace apig_certd::sim
