#include "daemon/engine/observe.h"

#include <algorithm>
#include <set>

#include "daemon/cert/certificate_name.h"
#include "daemon/cert/checks.h"
#include "daemon/core/time_format.h"
#include "daemon/engine/background_tasks.h"
#include "daemon/engine/bind.h"

namespace apig_certd::engine {

namespace {

std::string describe_problem(const cert::Problem& problem) {
  return problem.apig_code.empty() ? problem.message
                                   : problem.message + " [" + problem.apig_code + "]";
}

// The disk observation of a binding's bundle at `now`.
DiskCertificate disk_certificate(const settings::BindingSettings& binding,
                                 const cert::BundleFacts& facts, SystemTime now) {
  DiskCertificate disk;
  disk.sha256 = facts.sha256;
  disk.name = cert::certificate_name(binding.cert_name, facts);
  disk.not_before = facts.not_before;
  disk.not_after = facts.not_after;
  disk.algorithm = certificate_algorithm(facts);
  for (const cert::Problem& problem : facts.load_warnings) {
    disk.warnings.push_back(describe_problem(problem));
  }
  // check_bundle() depends on `now` (expiry): it runs on every pass, cached facts or not.
  for (const cert::Problem& problem : cert::check_bundle(facts, now)) {
    (problem.severity == cert::Severity::Error ? disk.errors : disk.warnings)
        .push_back(describe_problem(problem));
  }
  return disk;
}

void take_bundle(ObservedBinding& observed, ObservedBundle bundle, SystemTime now) {
  observed.bundle = std::move(bundle);
  observed.from_cache = observed.bundle.cached.has_value();
  if (const cert::BundleFacts* facts = observed.bundle.facts()) {
    observed.disk.certificate = disk_certificate(*observed.binding, *facts, now);
  } else {
    observed.disk.load_error = observed.bundle.error;
  }
}

// Bundles whose files are unchanged come from the cache (a stat each, spread over the cores);
// the others are parsed on one thread per core, started before the group reads so that both
// go on at once.
void read_bundles_and_groups(const ObserveRequest& request, Observation& observation,
                             BundleCache& cache, WorkerPool& pool, RetryBudget& retry,
                             cert::KeyDecoders& decoders, const std::vector<GroupKey>& keys) {
  std::vector<ObservedBinding>& bindings = observation.bindings;
  std::vector<char> from_cache(bindings.size(), 0);
  if (request.source == BundleSource::CacheWhenUnchanged) {
    BackgroundTasks checks(bindings.size(), core_count(), [&](std::size_t i, std::size_t) {
      const settings::BindingSettings& binding = *bindings[i].binding;
      if (std::optional<cert::BundleFacts> cached =
              facts_if_unchanged(binding.name, {binding.cert, binding.key}, cache)) {
        ObservedBundle bundle;
        bundle.cached = std::move(*cached);
        take_bundle(bindings[i], std::move(bundle), request.now);
        from_cache[i] = 1;
      }
    });
  }
  std::vector<std::size_t> to_parse;
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    if (from_cache[i] == 0) {
      to_parse.push_back(i);
    }
  }
  std::vector<BundleRead> reads(to_parse.size());
  std::vector<std::optional<Result<apig::Group>>> groups(keys.size());
  std::atomic<int> requests{0};
  {
    // Only reads the cache, which nothing changes until remember_read() below.
    BackgroundTasks parsing(to_parse.size(), core_count(), [&](std::size_t j, std::size_t) {
      const settings::BindingSettings& binding = *bindings[to_parse[j]].binding;
      reads[j] = read_bundle_from(binding.name, {binding.cert, binding.key}, cache,
                                  BundleSource::Files, decoders);
    });
    pool.run(keys.size(), [&](std::size_t i, apig::Client& client) {
      groups[i] = read_group(client, keys[i], retry, requests);
    });
  }
  observation.requests += requests;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    observation.groups.emplace(keys[i], std::move(*groups[i]));
  }
  for (std::size_t j = 0; j < to_parse.size(); ++j) {
    ObservedBinding& binding = bindings[to_parse[j]];
    remember_read(cache, binding.binding->name, reads[j]);
    take_bundle(binding, std::move(reads[j].observed), request.now);
  }
}

// The other entries of `domain`'s name in `group`, with what holds our slot on each.
std::vector<PortEntry> port_entries(const apig::Group& group, const apig::UrlDomain& domain,
                                    const DiskCertificate* disk) {
  std::vector<PortEntry> entries;
  for (const apig::UrlDomain* entry : group.entries_named(domain.domain)) {
    if (entry->id == domain.id) {
      continue;
    }
    BoundCertificate bound = bound_certificate(
        *entry, disk != nullptr ? disk->algorithm : apig::CertificateAlgorithm::Unknown);
    entries.push_back({entry->id, std::move(bound.ssl_id), std::move(bound.name)});
  }
  return entries;
}

// What the group says about one target.
void observe_remote(const Result<apig::Group>& group, ObservedTarget& item) {
  RemoteObservation& remote = item.input.remote;
  if (!group) {
    remote.status = RemoteObservation::Status::Error;
    remote.error = group.error();
    return;
  }
  const apig::UrlDomain* domain = find_domain(*group, *item.target);
  if (domain == nullptr) {
    remote.status = RemoteObservation::Status::DomainMissing;
    return;
  }
  remote.status = RemoteObservation::Status::Found;
  remote.domain_id = domain->id;
  remote.sl_domain = group->sl_domain;
  remote.cname_status = domain->cname_status;
  remote.client_verification = domain->uses_client_verification();
  const DiskCertificate* disk =
      item.input.disk->certificate ? &*item.input.disk->certificate : nullptr;
  BoundCertificate bound = bound_certificate(
      *domain, disk != nullptr ? disk->algorithm : apig::CertificateAlgorithm::Unknown);
  remote.bound_ssl_id = std::move(bound.ssl_id);
  remote.bound_name = std::move(bound.name);
  remote.bound_scope = bound.scope;
  item.domain_name = domain->domain;
  remote.port_entries = port_entries(*group, *domain, disk);
}

// The downgrade guard needs the expiry of a bound certificate that is not ours: one read of
// its details each.
void read_foreign_expiries(Observation& observation, WorkerPool& pool) {
  std::vector<std::size_t> foreign;
  for (std::size_t i = 0; i < observation.targets.size(); ++i) {
    const TargetInput& input = observation.targets[i].input;
    const RemoteObservation& remote = input.remote;
    const DiskObservation& disk = *input.disk;
    if (remote.status != RemoteObservation::Status::Found || remote.bound_ssl_id.empty() ||
        !disk.certificate || remote.bound_name == disk.certificate->name ||
        same_name_prefix(remote.bound_name, disk.certificate->name) ||
        (input.state != nullptr && input.state->ssl_id == remote.bound_ssl_id)) {
      continue;
    }
    foreign.push_back(i);
  }
  observation.requests += static_cast<int>(foreign.size());
  pool.run(foreign.size(), [&](std::size_t i, apig::Client& client) {
    ObservedTarget& item = observation.targets[foreign[i]];
    RemoteObservation& remote = item.input.remote;
    Result<apig::Certificate> details = client.get_bound_certificate(
        item.target->instance_id, item.target->group_id, remote.domain_id, remote.bound_ssl_id);
    if (details && !details->not_after.empty()) {
      if (Result<SystemTime> expiry = parse_utc_iso8601(details->not_after)) {
        remote.bound_not_after = *expiry;
      }
    }
  });
}

}  // namespace

bool Observation::remote_unreadable() const {
  return std::any_of(groups.begin(), groups.end(),
                     [](const auto& entry) { return !entry.second.has_value(); });
}

Observation observe(const ObserveRequest& request, BundleCache& cache, WorkerPool& pool,
                    RetryBudget& retry, cert::KeyDecoders& decoders) {
  Observation observation;
  observation.bindings.reserve(request.bindings.size());
  std::set<GroupKey> keys;
  for (const settings::BindingSettings* binding : request.bindings) {
    observation.bindings.push_back({binding, {}, false, {}});
    for (const settings::TargetSettings& target : binding->targets) {
      keys.emplace(target.instance_id, target.group_id);
    }
  }
  read_bundles_and_groups(request, observation, cache, pool, retry, decoders,
                          std::vector<GroupKey>(keys.begin(), keys.end()));

  std::size_t targets = 0;
  for (const settings::BindingSettings* binding : request.bindings) {
    targets += binding->targets.size();
  }
  observation.targets.reserve(targets);
  for (std::size_t b = 0; b < observation.bindings.size(); ++b) {
    const ObservedBinding& binding = observation.bindings[b];
    const cert::BundleFacts* facts = binding.bundle.facts();
    for (const settings::TargetSettings& target : binding.binding->targets) {
      ObservedTarget item;
      item.binding = binding.binding;
      item.target = &target;
      item.binding_index = b;
      item.input.binding = binding.binding;
      item.input.target = &target;
      item.input.disk = &binding.disk;
      const auto remembered = request.state->targets.find(
          state::target_key(binding.binding->name, target.instance_id, target.group_id,
                            target.domain, target.domain_id));
      item.input.state = remembered == request.state->targets.end() ? nullptr : &remembered->second;
      if (facts != nullptr && !target.domain.empty()) {
        if (std::optional<cert::Problem> problem = cert::check_domain(*facts, target.domain)) {
          item.input.domain_problem = describe_problem(*problem);
        }
      }
      observe_remote(observation.groups.at({target.instance_id, target.group_id}), item);
      observation.targets.push_back(std::move(item));
    }
  }
  read_foreign_expiries(observation, pool);
  return observation;
}

Result<apig::Group> read_group(apig::Client& client, const GroupKey& key, RetryBudget& retry,
                               std::atomic<int>& requests) {
  for (int attempt = 0;; ++attempt) {
    ++requests;
    Result<apig::Group> group = client.get_group(key.first, key.second);
    if (group || !is_retryable(group.error().code()) || !retry.back_off(attempt, group.error())) {
      return group;
    }
  }
}

std::optional<std::string> load_for_write(ObservedBinding& observed, SystemTime checked_at,
                                          BundleCache& cache, cert::KeyDecoders& decoders) {
  const settings::BindingSettings& binding = *observed.binding;
  ObservedBundle fresh =
      read_bundle(binding.name, {binding.cert, binding.key}, cache, BundleSource::Files, decoders);
  const std::string files = "the certificate files of binding '" + binding.name + "'";
  const std::string next = "; not written in this pass (the next pass reads them again)";
  if (!fresh.bundle) {
    return files + " changed during the pass and no longer load (" + fresh.error + ")" + next;
  }
  const DiskCertificate now_on_disk = disk_certificate(binding, fresh.bundle->facts(), checked_at);
  if (!observed.disk.certificate || now_on_disk != *observed.disk.certificate) {
    const std::string planned =
        observed.disk.certificate ? observed.disk.certificate->sha256.substr(0, 8) : "";
    return files + " changed during the pass (sha256 " + planned + "... when observed, " +
           now_on_disk.sha256.substr(0, 8) + "... now)" + next;
  }
  observed.bundle = std::move(fresh);
  return std::nullopt;
}

apig::CertificateAlgorithm certificate_algorithm(const cert::BundleFacts& facts) {
  switch (facts.key_type) {
    case cert::KeyType::Rsa:
      return apig::CertificateAlgorithm::Rsa;
    case cert::KeyType::Ec:
      return facts.ec_curve == "SM2" ? apig::CertificateAlgorithm::Sm2
                                     : apig::CertificateAlgorithm::Ecc;
    case cert::KeyType::Ed25519:
    case cert::KeyType::Other:
      break;
  }
  return apig::CertificateAlgorithm::Unknown;
}

BoundCertificate bound_certificate(const apig::UrlDomain& domain, apig::CertificateAlgorithm slot) {
  const bool own_fields = !domain.ssl_id.empty() || !domain.ssl_name.empty();
  if (domain.ssl_infos.empty() || (slot == apig::CertificateAlgorithm::Unknown && own_fields)) {
    return {domain.ssl_id, domain.ssl_name, apig::CertificateScope::Unknown};
  }
  const auto in_slot = std::find_if(
      domain.ssl_infos.begin(), domain.ssl_infos.end(), [&](const apig::SslInfo& info) {
        return slot == apig::CertificateAlgorithm::Unknown || info.algorithm == slot;
      });
  if (in_slot == domain.ssl_infos.end()) {
    return {};
  }
  return {in_slot->ssl_id, in_slot->ssl_name, in_slot->scope};
}

}  // namespace apig_certd::engine
