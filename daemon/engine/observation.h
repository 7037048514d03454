#pragma once

// What the reconciler knows before it decides: the certificate on disk, what APIG says about
// the target's domain, and what the state file remembers. Plain values, no key material and
// no I/O, so the planner (plan.h) can be a pure function of them and the clock.

#include <optional>
#include <string>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/core/clock.h"
#include "daemon/core/error.h"

namespace apig_certd::engine {

// A binding's certificate bundle as loaded and checked (DESIGN.md §4 steps 1-3).
struct DiskCertificate {
  std::string sha256;  // of the leaf DER, lowercase hex
  std::string name;    // the APIG certificate name for it
  SystemTime not_before{};
  SystemTime not_after{};
  // The slot of the domain's certificate set this one takes (RSA, ECC, SM2).
  apig::CertificateAlgorithm algorithm = apig::CertificateAlgorithm::Unknown;
  std::vector<std::string> errors;    // validity problems: a bundle with any is never bound
  std::vector<std::string> warnings;  // e.g. key file readable by others

  bool operator==(const DiskCertificate&) const = default;
};

struct DiskObservation {
  std::optional<DiskCertificate> certificate;  // nullopt: could not be loaded
  std::string load_error;                      // why, when certificate is nullopt
};

// The certificate in one slot of a domain's certificate set (observe.h, bound_certificate()).
struct BoundCertificate {
  std::string ssl_id;
  std::string name;
  apig::CertificateScope scope = apig::CertificateScope::Unknown;
};

// Another entry of the target's domain in url_domains (a domain bound once per custom inbound
// port is listed once per port, each entry with its own id), with what holds its slot of the
// binding's algorithm. Whether such entries share their certificates is not documented, so a
// target is in sync only when every entry serves its certificate.
struct PortEntry {
  std::string domain_id;
  std::string bound_ssl_id;
  std::string bound_name;
};

// What APIG says about one target's domain, from one read of its API group.
struct RemoteObservation {
  enum class Status {
    NotObserved,    // not read in this pass: the planner relies on the state
    Found,          // the domain is in the group
    DomainMissing,  // the group has no such domain
    Error,          // the group could not be read
  };
  Status status = Status::NotObserved;
  std::string domain_id;
  std::string sl_domain;  // the group's subdomain, for the CNAME hint
  // What holds the slot of the binding's algorithm (bound_certificate()); empty: nothing.
  std::string bound_ssl_id;
  std::string bound_name;
  apig::CertificateScope bound_scope = apig::CertificateScope::Unknown;
  // The bound certificate's expiry when known (from the state or the certificate's details).
  std::optional<SystemTime> bound_not_after;
  apig::CnameStatus cname_status = apig::CnameStatus::Unknown;
  // The domain verifies client certificates (mTLS, apig::UrlDomain::uses_client_verification):
  // a write without trusted_root_ca would switch that off.
  bool client_verification = false;
  std::vector<PortEntry> port_entries;  // the domain's other entries, in url_domains' order
  std::optional<Error> error;           // Status::Error
};

}  // namespace apig_certd::engine
