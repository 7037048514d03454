#pragma once

// Observe, the first step of a pass: what the files and APIG say before anything is decided.
// Every binding's bundle is loaded and checked once, whatever its number of targets (or its
// facts taken from the bundle cache when its files are unchanged); every API group is read
// once, whatever its number of domains; a bound certificate that is not ours gets one extra
// read (its details) so the downgrade guard knows its expiry. The parsing runs on one thread
// per core beside the group reads, which wait on the network on the worker pool.

#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/cert/key_decoders.h"
#include "daemon/engine/bundle_cache.h"
#include "daemon/engine/plan.h"
#include "daemon/engine/retry.h"
#include "daemon/engine/worker_pool.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::engine {

using GroupKey = std::pair<std::string, std::string>;  // instance_id, group_id

// A binding's bundle as the pass sees it.
struct ObservedBinding {
  const settings::BindingSettings* binding = nullptr;
  ObservedBundle bundle;
  bool from_cache = false;  // facts from the bundle cache (PEM material loaded only to write)
  DiskObservation disk;
};

// One target with everything the planner needs about it.
struct ObservedTarget {
  const settings::BindingSettings* binding = nullptr;
  const settings::TargetSettings* target = nullptr;
  std::size_t binding_index = 0;  // into Observation::bindings
  TargetInput input;
  std::string domain_name;  // as APIG reports it (for SNI when only domain_id is configured)
};

struct Observation {
  std::vector<ObservedBinding> bindings;
  std::vector<ObservedTarget> targets;
  std::map<GroupKey, Result<apig::Group>> groups;
  int requests = 0;  // API requests made

  [[nodiscard]] bool remote_unreadable() const;
};

struct ObserveRequest {
  std::vector<const settings::BindingSettings*> bindings;
  const state::State* state = nullptr;
  SystemTime now{};  // the validity checks' time
  BundleSource source = BundleSource::Files;
};

// Reads files and groups for `request`. Parsed bundles refresh `cache` (the caller's).
Observation observe(const ObserveRequest& request, BundleCache& cache, WorkerPool& pool,
                    RetryBudget& retry, cert::KeyDecoders& decoders);

// Reads the group of `key`, retrying transient failures within the budget; counts requests.
Result<apig::Group> read_group(apig::Client& client, const GroupKey& key, RetryBudget& retry,
                               std::atomic<int>& requests);

// Loads the PEM material of a binding observed from the bundle cache, for a write. nullopt
// when the files still say what the observation said; otherwise why they cannot be written
// in this pass.
std::optional<std::string> load_for_write(ObservedBinding& observed, SystemTime checked_at,
                                          BundleCache& cache, cert::KeyDecoders& decoders);

// The APIG algorithm slot a certificate with these facts takes: RSA keys RSA, EC keys ECC
// (SM2 on the SM2 curve); Unknown for keys APIG does not take.
apig::CertificateAlgorithm certificate_algorithm(const cert::BundleFacts& facts);

// What holds `slot` on `domain` (DESIGN.md §4 step 4). A domain holds a set of certificates,
// one per algorithm (ssl_infos); certificates of other algorithms are not ours to see. When
// the answer has no ssl_infos, the domain's own ssl_id/ssl_name, whatever the slot (an older
// APIG with one certificate per domain). Slot Unknown (the files did not load): ssl_id/ssl_name,
// else the first of ssl_infos.
BoundCertificate bound_certificate(const apig::UrlDomain& domain, apig::CertificateAlgorithm slot);

}  // namespace apig_certd::engine
