// Lookups and the CNAME state machine of the simulated account.
//
// A domain's cname_status normally stands still. After a successful bind (POST on the domain
// or PUT of its certificate) it walks its seeded cname_sequence: each read of the group (GET
// group, or a group list page that contains the group) moves it one step and the read sees
// the new value; the last value sticks. This is what a daemon that polls after binding sees,
// and a sequence like [2, 4] lets tests drive the "resolution failed" branch.

#include "tests/apig-sim/model.h"

#include <algorithm>
#include <cctype>

#include <openssl/rand.h>

#include "daemon/core/check.h"
#include "daemon/core/hex.h"
#include "daemon/crypto/digest.h"

namespace apig_certd::sim {

namespace {

std::string lower_case(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

}  // namespace

std::string_view to_string(SecondBind mode) {
  switch (mode) {
    case SecondBind::Replace:
      return "replace";
    case SecondBind::Refuse:
      return "refuse";
    case SecondBind::Unbind:
      return "unbind";
  }
  return "replace";
}

std::optional<SecondBind> parse_second_bind(std::string_view text) {
  for (const SecondBind mode : {SecondBind::Replace, SecondBind::Refuse, SecondBind::Unbind}) {
    if (text == to_string(mode)) {
      return mode;
    }
  }
  return std::nullopt;
}

Instance* Model::find_instance(std::string_view id) {
  const auto found = std::find_if(instances.begin(), instances.end(),
                                  [&](const Instance& instance) { return instance.id == id; });
  return found == instances.end() ? nullptr : &*found;
}

const Certificate* Model::find_certificate(std::string_view id) const {
  const auto found = certificates.find(id);
  return found == certificates.end() ? nullptr : &found->second;
}

Certificate* Model::find_certificate(std::string_view id) {
  const auto found = certificates.find(id);
  return found == certificates.end() ? nullptr : &found->second;
}

bool Domain::has_certificate(std::string_view certificate_id) const {
  return std::find(certificate_ids.begin(), certificate_ids.end(), certificate_id) !=
         certificate_ids.end();
}

void Domain::unbind(std::string_view certificate_id) {
  std::erase(certificate_ids, certificate_id);
}

const Certificate* Model::in_slot(const Domain& domain, std::string_view algorithm) const {
  for (const std::string& id : domain.certificate_ids) {
    const Certificate* certificate = find_certificate(id);
    if (certificate != nullptr && certificate->facts.algorithm_type == algorithm) {
      return certificate;
    }
  }
  return nullptr;
}

std::vector<Domain*> Model::domains_bound_to(std::string_view certificate_id) {
  std::vector<Domain*> bound;
  for (Instance& instance : instances) {
    for (Group& group : instance.groups) {
      for (Domain& domain : group.domains) {
        if (domain.has_certificate(certificate_id)) {
          bound.push_back(&domain);
        }
      }
    }
  }
  return bound;
}

std::optional<ServedCertificate> Model::bound_certificate(std::string_view name) const {
  const std::string lowered = lower_case(name);
  const std::size_t dot = lowered.find('.');
  const std::string wildcard = dot == std::string::npos ? "" : "*" + lowered.substr(dot);
  const Domain* exact = nullptr;
  const Domain* covering = nullptr;
  for (const Instance& instance : instances) {
    for (const Group& group : instance.groups) {
      for (const Domain& domain : group.domains) {
        if (domain.domain == lowered) {
          exact = &domain;
        } else if (!wildcard.empty() && domain.domain == wildcard) {
          covering = &domain;
        }
      }
    }
  }
  const Domain* domain = exact != nullptr ? exact : covering;
  if (domain == nullptr || domain->certificate_ids.empty()) {
    return std::nullopt;
  }
  // With certificates of several algorithms the last one bound is served (real APIG picks by
  // what the client offers; the simulator does not).
  const Certificate* certificate = find_certificate(domain->certificate_ids.back());
  if (certificate == nullptr || certificate->private_key.empty()) {
    return std::nullopt;
  }
  return ServedCertificate{certificate->content, certificate->private_key};
}

std::optional<ServedCertificate> Model::served_certificate(std::string_view name) const {
  const std::string lowered = lower_case(name);
  if (const auto found = frozen.find(lowered); found != frozen.end()) {
    return found->second;
  }
  return bound_certificate(lowered);
}

Group* find_group(Instance& instance, std::string_view id) {
  const auto found = std::find_if(instance.groups.begin(), instance.groups.end(),
                                  [&](const Group& group) { return group.id == id; });
  return found == instance.groups.end() ? nullptr : &*found;
}

Domain* find_domain(Group& group, std::string_view id) {
  const auto found = std::find_if(group.domains.begin(), group.domains.end(),
                                  [&](const Domain& domain) { return domain.id == id; });
  return found == group.domains.end() ? nullptr : &*found;
}

void settle_client_verification(Domain& domain, const Model& model) {
  for (const std::string& id : domain.certificate_ids) {
    const Certificate* certificate = model.find_certificate(id);
    if (certificate == nullptr || certificate->trusted_root_ca.empty()) {
      domain.verified_client_certificate_enabled = false;
      return;
    }
  }
}

void restart_cname_sequence(Domain& domain) {
  if (!domain.cname_sequence.empty()) {
    domain.cname_step = 0;
  }
}

void advance_cname(Group& group) {
  for (Domain& domain : group.domains) {
    if (!domain.cname_step) {
      continue;
    }
    const std::size_t last = domain.cname_sequence.size() - 1;
    const std::size_t step = std::min(*domain.cname_step, last);
    domain.cname_status = domain.cname_sequence[step];
    domain.cname_step = step == last ? std::nullopt : std::optional<std::size_t>(step + 1);
  }
}

std::string random_id() {
  std::array<unsigned char, 16> bytes{};
  APIG_CERTD_CHECK(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1,
                   "RAND_bytes failed");
  return hex_lower(bytes);
}

}  // namespace apig_certd::sim
