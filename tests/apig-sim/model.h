#pragma once

// The simulated APIG account: instances, their API groups and custom domains, and the SSL
// certificate objects. Plain data plus lookups; the Simulator guards it with its mutex, and
// render.h turns it into APIG's JSON.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/secret.h"
#include "tests/apig-sim/certificate_check.h"

namespace apig_certd::sim {

// What POST .../domains/{d}/certificate does when the domain already has a certificate
// (REFERENCE.md §13 item 1: undocumented, so both behaviours are simulated).
enum class SecondBind {
  Replace,  // Unbind and delete the old certificate, bind the new one.
  Refuse,   // 400 APIG.2051.
  Unbind,   // Bind the new one; the old certificate is only unbound and its object stays.
};

std::string_view to_string(SecondBind mode);
std::optional<SecondBind> parse_second_bind(std::string_view text);

struct Certificate {
  std::string id;  // 32 hex.
  std::string name;
  std::string type = "global";         // "global" | "instance".
  std::string instance_id = "common";  // "common" for global certificates.
  CertificateFacts facts;
  std::string content;             // The PEM as uploaded (certificates are public).
  std::string private_key_sha256;  // What the admin API shows: never the key itself.
  // The CA that client certificates are checked against on mTLS domains (PEM), or empty.
  std::string trusted_root_ca;
  // The key as uploaded, kept in memory only so the TLS listener (tls_listener.h) can serve
  // the certificate; never rendered, logged or written anywhere. Empty for seeded
  // certificates (the listener cannot serve those).
  Secret private_key;
  SystemTime created;
  SystemTime updated;
};

// What the TLS listener serves for one name: the bound certificate's PEM and its key.
struct ServedCertificate {
  std::string certificate_pem;
  Secret private_key_pem;
};

struct Domain {
  std::string id;
  std::string domain;
  int cname_status = 3;
  // Statuses returned on successive reads of the group after a bind; the last one sticks.
  std::vector<int> cname_sequence;
  // The next index into cname_sequence; set by a bind, advanced by each group read.
  std::optional<std::size_t> cname_step;
  std::string min_ssl_version = "TLSv1.1";
  // mTLS: clients must present a certificate issued by a bound certificate's trusted_root_ca.
  // A write that leaves a bound certificate without a CA switches it off (our reading of
  // REFERENCE.md §2.6: "default true if the bound cert has trusted_root_ca").
  bool verified_client_certificate_enabled = false;
  // The certificates bound, at most one per algorithm (RSA, ECC, SM2: url_domains[].ssl_infos),
  // in the order they were bound.
  std::vector<std::string> certificate_ids;

  [[nodiscard]] bool has_certificate(std::string_view certificate_id) const;
  // Unbinds the certificate from this domain (the object stays).
  void unbind(std::string_view certificate_id);
};

struct Group {
  std::string id;
  std::string name;
  std::string sl_domain;
  SystemTime registered;
  std::vector<Domain> domains;
};

struct Instance {
  std::string id;
  std::vector<Group> groups;
};

struct Model {
  std::string project_id;
  std::string region = "cn-north-4";
  SecondBind second_bind = SecondBind::Replace;
  std::vector<Instance> instances;
  std::map<std::string, Certificate, std::less<>> certificates;  // By id.
  // The TLS listener's "stale" knob (/__admin/config "tls_frozen"): these domains keep being
  // served what was bound to them when they were frozen (nullopt: nothing was), whatever is
  // bound later, as when APIG is still propagating a new certificate.
  std::map<std::string, std::optional<ServedCertificate>, std::less<>> frozen;

  Instance* find_instance(std::string_view id);
  const Certificate* find_certificate(std::string_view id) const;
  Certificate* find_certificate(std::string_view id);
  // Every domain that has certificate `id` bound, with the instance it belongs to.
  std::vector<Domain*> domains_bound_to(std::string_view certificate_id);
  // The certificate of `algorithm` ("RSA", "ECC", "SM2") bound to `domain`, or nullptr: a
  // domain holds one certificate per algorithm.
  const Certificate* in_slot(const Domain& domain, std::string_view algorithm) const;
  // What the TLS listener serves for the SNI `name`: the certificate bound to the domain of
  // that name (or to the wildcard domain "*.rest" covering it), unless the domain is frozen.
  // nullopt: no such domain, nothing bound, or a seeded certificate without a key.
  std::optional<ServedCertificate> served_certificate(std::string_view name) const;
  // What served_certificate() returns for `name` ignoring the frozen list.
  std::optional<ServedCertificate> bound_certificate(std::string_view name) const;
};

Group* find_group(Instance& instance, std::string_view id);
Domain* find_domain(Group& group, std::string_view id);

// After a write to `domain`'s certificates: client verification stays on only while every
// bound certificate carries a CA.
void settle_client_verification(Domain& domain, const Model& model);

// Starts the domain's cname_sequence over (after a bind); no-op for an empty sequence.
void restart_cname_sequence(Domain& domain);
// One group read: every domain following its sequence takes the next status.
void advance_cname(Group& group);

// A fresh random 32-character lower-case hex id.
std::string random_id();

}  // namespace apig_certd::sim
