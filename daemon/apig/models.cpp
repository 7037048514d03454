// Look-ups on the models. Domain names compare case-insensitively and without a trailing
// dot, because DNS names do and operators write both forms.

#include "daemon/apig/models.h"

#include <algorithm>

#include "daemon/core/ascii.h"

namespace apig_certd::apig {

namespace {

std::string normalise(std::string_view name) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  return ascii_lower(name);
}

}  // namespace

std::string_view to_string(CertificateAlgorithm algorithm) {
  switch (algorithm) {
    case CertificateAlgorithm::Rsa:
      return "RSA";
    case CertificateAlgorithm::Ecc:
      return "ECC";
    case CertificateAlgorithm::Sm2:
      return "SM2";
    case CertificateAlgorithm::Unknown:
      break;
  }
  return "unknown";
}

bool UrlDomain::uses_client_verification() const {
  return verifies_client_certificates || has_trusted_root_ca ||
         std::any_of(ssl_infos.begin(), ssl_infos.end(),
                     [](const SslInfo& info) { return info.has_trusted_root_ca; });
}

const UrlDomain* Group::find_domain_by_id(std::string_view domain_id) const {
  const auto it = std::find_if(url_domains.begin(), url_domains.end(),
                               [&](const UrlDomain& entry) { return entry.id == domain_id; });
  return it == url_domains.end() ? nullptr : &*it;
}

const UrlDomain* Group::find_domain_by_name(std::string_view domain_name) const {
  const std::string wanted = normalise(domain_name);
  const auto it = std::find_if(url_domains.begin(), url_domains.end(), [&](const UrlDomain& entry) {
    return normalise(entry.domain) == wanted;
  });
  return it == url_domains.end() ? nullptr : &*it;
}

std::vector<const UrlDomain*> Group::entries_named(std::string_view domain_name) const {
  const std::string wanted = normalise(domain_name);
  std::vector<const UrlDomain*> entries;
  for (const UrlDomain& entry : url_domains) {
    if (normalise(entry.domain) == wanted) {
      entries.push_back(&entry);
    }
  }
  return entries;
}

}  // namespace apig_certd::apig
