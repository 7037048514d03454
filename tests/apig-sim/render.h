#pragma once

// APIG's JSON shapes for the simulated account (REFERENCE.md §2), and the admin state view.

#include <nlohmann/json.hpp>

#include "tests/apig-sim/model.h"

namespace apig_certd::sim {

// A UrlDomain element of url_domains[] (§2.7). For an ECC certificate ssl_id and ssl_name
// stay empty and only ssl_infos names it (the SDK: they show the RSA certificate).
nlohmann::json url_domain_json(const Domain& domain, const Model& model);

// An API group (§2.7); url_domains is left out when the group has no domains, as in the
// documentation's example.
nlohmann::json group_json(const Group& group, const Model& model);

// The 201 body of POST .../domains/{d}/certificate (§2.4).
nlohmann::json bind_response_json(const Instance& instance, const Group& group,
                                  const Domain& domain, const Certificate& certificate);

// A certificate's details (§2.6 and §2.9 share the field set).
nlohmann::json certificate_json(const Certificate& certificate, const Model& model);

// A CertBase element of GET /certificates (§2.9).
nlohmann::json certificate_base_json(const Certificate& certificate, const Model& model);

// The whole account for GET /__admin/state: instances, groups, domains (with their CNAME
// sequence position) and certificates with fingerprints and key hashes, never keys.
nlohmann::json state_json(const Model& model);

// Serialises JSON compactly. Invalid UTF-8 (which nlohmann's dump() would throw on, e.g. a
// percent-decoded path with a stray %FF) is replaced with U+FFFD.
std::string dump_json(const nlohmann::json& value);

// "2030-01-31T12:00:00Z".
std::string iso_time(SystemTime time);
// The same with microseconds: "2020-01-04T09:05:22.701000Z".
std::string iso_time_micros(SystemTime time);

}  // namespace apig_certd::sim
