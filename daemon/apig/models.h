#pragma once

// What APIG tells us, as plain values (REFERENCE.md §2). Only the fields apig-certd uses are
// kept; everything else in a response is ignored, so new fields never break us.

#include <optional>
#include <string>
#include <vector>

namespace apig_certd::apig {

// url_domains[].cname_status: 1 not resolved, 2 resolving, 3 resolved, 4 resolution failed.
enum class CnameStatus { Unknown = 0, NotResolved = 1, Resolving = 2, Resolved = 3, Failed = 4 };

// A certificate's algorithm_type ("RSA", "ECC", "SM2"): a domain holds one certificate of
// each. Unknown: missing or a value this build does not know.
enum class CertificateAlgorithm { Unknown, Rsa, Ecc, Sm2 };

// "RSA", "ECC", "SM2", "unknown" (as APIG writes them).
std::string_view to_string(CertificateAlgorithm algorithm);

// ssl_infos[].type: 1 = an object of this instance, 2 = a global object (the certificate
// APIs write "instance" and "global"); a global certificate may serve other domains too.
enum class CertificateScope { Unknown = 0, Instance = 1, Global = 2 };

// One certificate bound to a domain (url_domains[].ssl_infos[]). ECC and SM2 certificates
// appear only here: the domain's own ssl_id/ssl_name are filled for RSA certificates only.
struct SslInfo {
  std::string ssl_id;
  std::string ssl_name;
  CertificateAlgorithm algorithm = CertificateAlgorithm::Unknown;
  CertificateScope scope = CertificateScope::Unknown;
  bool has_trusted_root_ca = false;  // it carries a CA for client certificates (mTLS)
};

struct UrlDomain {
  std::string id;      // domain_id
  std::string domain;  // the custom domain name
  CnameStatus cname_status = CnameStatus::Unknown;
  std::string ssl_id;    // RSA certificate bound, or empty
  std::string ssl_name;  // its name, or empty
  std::string min_ssl_version;
  // mTLS: the domain asks clients for a certificate and checks it against the bound
  // certificate's trusted_root_ca.
  bool verifies_client_certificates = false;  // verified_client_certificate_enabled
  bool has_trusted_root_ca = false;           // is_has_trusted_root_ca: every bound one has a CA
  std::vector<SslInfo> ssl_infos;

  // True when a write without trusted_root_ca would switch client verification off.
  [[nodiscard]] bool uses_client_verification() const;
};

struct Group {
  std::string id;
  std::string name;
  std::string sl_domain;  // The group's debugging subdomain: where a CNAME should point.
  std::vector<std::string> sl_domains;
  std::vector<UrlDomain> url_domains;

  // The domain entry by id, or nullptr.
  [[nodiscard]] const UrlDomain* find_domain_by_id(std::string_view domain_id) const;
  // The domain entry by name (case-insensitive, trailing dot ignored), or nullptr.
  [[nodiscard]] const UrlDomain* find_domain_by_name(std::string_view domain_name) const;
  // Every entry of url_domains for `domain_name` (the name ignoring case and a trailing dot):
  // a domain bound once per custom inbound port appears once per port, each with its own id.
  [[nodiscard]] std::vector<const UrlDomain*> entries_named(std::string_view domain_name) const;
};

// The answer to the one-step bind (POST .../domains/{domain_id}/certificate), 201.
struct BoundDomain {
  std::string id;          // domain_id
  std::string url_domain;  // the domain name
  CnameStatus status = CnameStatus::Unknown;
  std::string ssl_id;
  std::string ssl_name;
};

// A certificate object (GET/PUT /certificates/{id}, GET .../domains/{id}/certificate/{id}).
struct Certificate {
  std::string id;
  std::string name;
  std::string type;  // "global" or "instance"
  std::string instance_id;
  std::string common_name;
  std::vector<std::string> san;
  std::string not_before;  // As APIG writes it, e.g. "2030-08-04T07:41:19Z".
  std::string not_after;
  std::string signature_algorithm;
  std::string algorithm_type;
  bool has_trusted_root_ca = false;
};

}  // namespace apig_certd::apig
