// One reconcile pass: observe, plan, execute, poll, record.
//
// Observe: every binding's bundle is loaded and checked once, whatever its number of
// targets; every API group is read once, whatever its number of domains. A bound
// certificate that is not ours gets one extra read (its details) so the downgrade guard
// knows its expiry. Plan: plan.h, pure. Execute: the writes, in parallel, each retried with
// exponential backoff and full jitter while the error is transient and the pass deadline
// (poll.timeout) has not passed. A write whose outcome is unknown (timeout, connection cut,
// 5xx) may have happened, so before writing again the group is re-read and the desired
// certificate already bound counts as success: a renewal is written once. A POST refused
// with APIG.2051 (the domain has a certificate) deletes the old binding and posts again at
// once, when the old certificate is ours or drift = "repair". Poll: one read per group per
// round serves all its domains, every poll.interval, until 3 (resolved), 4 (failed) or the
// deadline. Verify (targets with verify = true, verification.h): once the CNAME is resolved,
// a TLS probe compares the served leaf with the bound fingerprint, retried with the same
// backoff until the deadline; a mismatch fails the target but never re-binds. Record: the
// outcome of every target goes into the state (the caller saves it).
//
// Replicas (daemon.jitter > 0: other instances may write the same targets): right before its
// first write a target's group is read again and the target planned again on what it shows,
// so a certificate another instance bound since the observation is not written twice, and a
// newer one is never replaced (the downgrade guard); retries and an APIG.2051 re-read first
// too. Without jitter the observation, moments before the writes, is the only read: one group
// read per group and round, as the fan-out benchmark budgets it.
//
// The private key lives in the loaded Bundle (a Secret) for the length of the pass and is
// wiped when the pass ends; it is only ever copied into the request body of a bind.
//
// The bundle cache (bundle_cache.h): with BundleSource::CacheWhenUnchanged a binding whose
// files are unchanged since they were last parsed is observed from the facts in the cache,
// without its PEM material. Nothing is ever bound from the cache: before the writes start,
// every binding with a planned write and no parsed bundle is loaded, one after the other in
// the pass's thread (the writes then run on the pool). If the files no longer say what the
// plan was made on (a renewal landed during the pass), that binding's targets are not written
// in this pass: each fails as retryable with "the files changed during the pass", and the
// file change brings another pass anyway.
//
// Cleanup (cleanup.h): once every outcome is recorded, each target whose bind is confirmed has
// its superseded certificates deleted; what that did is added to its outcome, never changes it.

#include "daemon/engine/reconciler.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "daemon/cert/bundle.h"
#include "daemon/cert/certificate_name.h"
#include "daemon/cert/checks.h"
#include "daemon/core/time_format.h"
#include "daemon/engine/background_tasks.h"
#include "daemon/engine/backoff.h"
#include "daemon/engine/bundle_cache.h"
#include "daemon/engine/cleanup.h"
#include "daemon/engine/verification.h"
#include "daemon/engine/worker_pool.h"

namespace apig_certd::engine {

namespace {

using GroupKey = std::pair<std::string, std::string>;  // instance_id, group_id

struct LoadedBinding {
  const settings::BindingSettings* binding = nullptr;
  ObservedBundle observed;
  SystemTime checked_at{};  // the time disk.certificate was checked at
  bool from_cache = false;  // observed from the bundle cache (PEM material loaded only to write)
  DiskObservation disk;
  // Set when the PEM material loaded for a write no longer matched the observation: why.
  std::optional<std::string> changed_during_pass;
};

// Everything about one target during the pass.
struct Work {
  const settings::BindingSettings* binding = nullptr;
  const settings::TargetSettings* target = nullptr;
  std::size_t loaded = 0;  // index into the loaded bindings
  TargetInput input;
  TargetPlan plan;
  // Execution.
  bool attempted_write = false;
  bool written = false;
  std::string ssl_id;
  std::string bound_name;
  std::optional<Error> error;
  apig::CnameStatus cname = apig::CnameStatus::Unknown;
  bool cname_final = false;
  std::string sl_domain;
  std::string domain_name;              // as APIG reports it (for SNI with only a domain_id)
  std::optional<ProbeVerdict> verdict;  // verify = true: what the probe found in this pass
  // Set when a CNAME poll found the domain no longer serving our certificate: what it
  // serves instead ("" for nothing).
  std::optional<std::string> lost_to;
  // Certificates a refused second bind (APIG.2051) deleted together with their binding.
  std::vector<std::string> deleted_with_binding;
  // The re-read right before the write found the desired certificate bound: another
  // instance bound it since this pass observed the group.
  bool bound_meanwhile = false;
};

// The name of the certificate the target serves after this pass's write (or without one).
const std::string& serving_name(const Work& item) {
  return item.written ? item.bound_name : item.plan.certificate_name;
}

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

// Fills in the disk observation of `loaded` (its binding and checked_at set) from `observed`.
void take_observation(LoadedBinding& loaded, ObservedBundle observed) {
  loaded.observed = std::move(observed);
  loaded.from_cache = loaded.observed.cached.has_value();
  if (const cert::BundleFacts* facts = loaded.observed.facts()) {
    loaded.disk.certificate = disk_certificate(*loaded.binding, *facts, loaded.checked_at);
  } else {
    loaded.disk.load_error = loaded.observed.error;
  }
}

// Loads the PEM material of a binding observed from the cache, for a write. nullopt when the
// files still say what the observation said; otherwise why they cannot be written now.
std::optional<std::string> load_for_write(LoadedBinding& loaded, BundleCache& bundles,
                                          cert::KeyDecoders& decoders) {
  const settings::BindingSettings& binding = *loaded.binding;
  ObservedBundle fresh = read_bundle(binding.name, {binding.cert, binding.key}, bundles,
                                     BundleSource::Files, decoders);
  const std::string files = "the certificate files of binding '" + binding.name + "'";
  const std::string next = "; not written in this pass (the next pass reads them again)";
  if (!fresh.bundle) {
    return files + " changed during the pass and no longer load (" + fresh.error + ")" + next;
  }
  const DiskCertificate now_on_disk =
      disk_certificate(binding, fresh.bundle->facts(), loaded.checked_at);
  if (!loaded.disk.certificate || now_on_disk != *loaded.disk.certificate) {
    const std::string planned =
        loaded.disk.certificate ? loaded.disk.certificate->sha256.substr(0, 8) : "";
    return files + " changed during the pass (sha256 " + planned + "... when observed, " +
           now_on_disk.sha256.substr(0, 8) + "... now)" + next;
  }
  loaded.observed = std::move(fresh);
  return std::nullopt;
}

bool unknown_outcome(const Error& error) {
  // No HTTP status: the request may or may not have reached APIG. A 5xx: APIG may have
  // acted before failing.
  const std::optional<std::string> status = error.field("http_status");
  if (!status) {
    return error.code() == ErrorCode::Timeout || error.code() == ErrorCode::Unavailable;
  }
  return !status->empty() && (*status)[0] == '5';
}

std::optional<Duration> retry_after(const Error& error) {
  const std::optional<std::string> value = error.field("retry_after");
  if (!value || value->empty() || value->find_first_not_of("0123456789") != std::string::npos ||
      value->size() > 6) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::stol(*value));
}

const apig::UrlDomain* find_domain(const apig::Group& group,
                                   const settings::TargetSettings& target) {
  return target.domain_id.empty() ? group.find_domain_by_name(target.domain)
                                  : group.find_domain_by_id(target.domain_id);
}

// The certificate bound to a domain: ssl_id/ssl_name for RSA, ssl_infos for ECC/SM2.
std::pair<std::string, std::string> bound_certificate(const apig::UrlDomain& domain) {
  if (!domain.ssl_id.empty() || !domain.ssl_name.empty()) {
    return {domain.ssl_id, domain.ssl_name};
  }
  if (!domain.ssl_infos.empty()) {
    return {domain.ssl_infos.front().ssl_id, domain.ssl_infos.front().ssl_name};
  }
  return {};
}

bool desired_is_bound(const apig::UrlDomain& domain, std::string_view name) {
  if (domain.ssl_name == name) {
    return true;
  }
  return std::any_of(domain.ssl_infos.begin(), domain.ssl_infos.end(),
                     [&](const apig::SslInfo& info) { return info.ssl_name == name; });
}

std::string ssl_id_of(const apig::UrlDomain& domain, std::string_view name) {
  if (domain.ssl_name == name) {
    return domain.ssl_id;
  }
  for (const apig::SslInfo& info : domain.ssl_infos) {
    if (info.ssl_name == name) {
      return info.ssl_id;
    }
  }
  return {};
}

// The pass, with its shared counters and clock arithmetic.
class Pass {
 public:
  Pass(const settings::Settings& config, const Clock& clock, WorkerPool& pool, BundleCache& bundles,
       cert::KeyDecoders& key_decoders, std::mt19937_64& random, const ReconcileOptions& options)
      : config_(config),
        clock_(clock),
        pool_(pool),
        bundles_(bundles),
        key_decoders_(key_decoders),
        random_(random),
        options_(options),
        deadline_(clock.monotonic_now() + options.retry_deadline.value_or(config.poll.timeout)) {}

  ReconcileReport run(std::vector<LoadedBinding>& loaded, std::vector<Work>& work,
                      state::State& state);

 private:
  // Reads the groups and the bindings' bundles (on the pool), then gathers each target's
  // observations.
  void observe(std::vector<LoadedBinding>& loaded, std::vector<Work>& work, state::State& state);
  Result<apig::Group> read_group(apig::Client& client, const GroupKey& key);
  // Loads the PEM material of every binding with a planned write that was observed from the
  // bundle cache; a binding whose files changed since has its writes turned into retryable
  // failures.
  void load_for_writes(std::vector<LoadedBinding>& loaded, std::vector<Work>& work);
  void execute(std::vector<LoadedBinding>& loaded, std::vector<Work>& work);
  void execute_one(Work& item, const cert::Bundle& bundle, apig::Client& client);
  bool bind(Work& item, const cert::Bundle& bundle, apig::Client& client);
  bool update(Work& item, const cert::Bundle& bundle, apig::Client& client);
  std::optional<bool> already_bound(Work& item, apig::Client& client);
  bool still_wanted(Work& item, apig::Client& client);
  // Other instances may write the same targets (daemon.jitter > 0): writes re-read first.
  bool replicas() const { return config_.daemon.jitter > Duration::zero(); }
  void poll(std::vector<Work>& work);
  void verify(std::vector<Work>& work);
  ProbeVerdict probe_until_verified(const Work& item);
  void record(const std::vector<Work>& work, state::State& state) const;
  TargetOutcome outcome(const Work& item) const;
  // Cleanup of superseded certificates for the targets whose bind is confirmed (after
  // record()), or with --dry-run what it would delete; one outcome per target.
  std::vector<CleanupOutcome> clean_up(const std::vector<Work>& work, state::State& state);
  // Folds a probe's verdict into an outcome that is otherwise a success.
  static void apply_verdict(const Work& item, TargetOutcome& result);

  // Sleeps the backoff for retry `attempt`; false when that would pass the deadline or the
  // daemon is stopping.
  bool back_off(int attempt, const Error& error);
  // Sleeps unless the daemon stops first; false when it did.
  bool sleep(Duration delay);
  bool stopping() const { return options_.stop != nullptr && options_.stop->requested(); }
  std::string giving_up() const {
    if (stopping()) {
      return "not retried: apig-certd is stopping";
    }
    return options_.retry_deadline
               ? "giving up for this pass after " + format_duration(*options_.retry_deadline) +
                     " (retried on the backoff schedule)"
               : "giving up after poll.timeout";
  }
  void count(bool write) {
    ++requests_;
    if (write) {
      ++writes_;
    }
  }

  const settings::Settings& config_;
  const Clock& clock_;
  WorkerPool& pool_;
  BundleCache& bundles_;
  cert::KeyDecoders& key_decoders_;
  std::mt19937_64& random_;
  std::mutex random_mutex_;
  const ReconcileOptions& options_;
  MonotonicTime deadline_;
  std::atomic<int> requests_{0};
  std::atomic<int> writes_{0};
  int loads_for_writes_ = 0;
  std::map<GroupKey, Result<apig::Group>> groups_;
};

bool Pass::back_off(int attempt, const Error& error) {
  double unit = 0;
  {
    const std::lock_guard lock(random_mutex_);
    unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  }
  const Duration delay =
      with_retry_after(backoff_delay(attempt, config_.retry.initial, config_.retry.max, unit),
                       retry_after(error), config_.retry.max);
  if (clock_.monotonic_now() + delay >= deadline_ || stopping()) {
    return false;
  }
  return sleep(delay);
}

bool Pass::sleep(Duration delay) {
  if (options_.stop == nullptr) {
    std::this_thread::sleep_for(delay);
    return true;
  }
  return options_.stop->wait_for(delay);
}

Result<apig::Group> Pass::read_group(apig::Client& client, const GroupKey& key) {
  for (int attempt = 0;; ++attempt) {
    count(false);
    Result<apig::Group> group = client.get_group(key.first, key.second);
    if (group || !is_retryable(group.error().code()) || !back_off(attempt, group.error())) {
      return group;
    }
  }
}

void Pass::observe(std::vector<LoadedBinding>& loaded, std::vector<Work>& work,
                   state::State& state) {
  std::set<GroupKey> keys;
  for (const Work& item : work) {
    keys.emplace(item.target->instance_id, item.target->group_id);
  }
  const std::vector<GroupKey> ordered(keys.begin(), keys.end());
  // Bundles whose files are unchanged come from the cache here (a stat each). The others are
  // parsed (CPU work: a first start, renewals, a fleet-wide sync) on one thread per core,
  // started before the group reads (network waits, on the pool) so that both go on at once.
  // The cache checks are spread over the cores too: with 1,000 bindings, 2,000 stats and
  // copies of the cached facts took 16 ms on one thread before the first request, 9 ms on two.
  std::vector<char> from_cache(loaded.size(), 0);
  if (options_.bundles == BundleSource::CacheWhenUnchanged) {
    BackgroundTasks checks(loaded.size(), core_count(), [&](std::size_t i) {
      const settings::BindingSettings& binding = *loaded[i].binding;
      std::optional<cert::BundleFacts> cached =
          facts_if_unchanged(binding.name, {binding.cert, binding.key}, bundles_);
      if (cached) {
        ObservedBundle observed;
        observed.cached = std::move(*cached);
        take_observation(loaded[i], std::move(observed));
        from_cache[i] = 1;
      }
    });
  }
  std::vector<std::size_t> to_parse;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    if (from_cache[i] == 0) {
      to_parse.push_back(i);
    }
  }
  std::vector<BundleRead> reads(to_parse.size());
  std::vector<std::optional<Result<apig::Group>>> results(ordered.size());
  {
    // Only reads bundles_, which nothing changes until remember_read() below.
    BackgroundTasks parsing(to_parse.size(), core_count(), [&](std::size_t j) {
      const settings::BindingSettings& binding = *loaded[to_parse[j]].binding;
      reads[j] = read_bundle_from(binding.name, {binding.cert, binding.key}, bundles_,
                                  BundleSource::Files, key_decoders_);
    });
    pool_.run(ordered.size(), [&](std::size_t i, apig::Client& client) {
      results[i] = read_group(client, ordered[i]);
    });
  }
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    groups_.emplace(ordered[i], std::move(*results[i]));
  }
  for (std::size_t j = 0; j < to_parse.size(); ++j) {
    LoadedBinding& binding = loaded[to_parse[j]];
    remember_read(bundles_, binding.binding->name, reads[j]);
    take_observation(binding, std::move(reads[j].observed));
  }

  for (Work& item : work) {
    const LoadedBinding& binding = loaded[item.loaded];
    item.input.binding = item.binding;
    item.input.target = item.target;
    item.input.disk = &binding.disk;
    const std::string key =
        state::target_key(item.binding->name, item.target->instance_id, item.target->group_id,
                          item.target->domain, item.target->domain_id);
    const auto remembered = state.targets.find(key);
    item.input.state = remembered == state.targets.end() ? nullptr : &remembered->second;
    const cert::BundleFacts* facts = binding.observed.facts();
    if (facts != nullptr && !item.target->domain.empty()) {
      if (std::optional<cert::Problem> problem = cert::check_domain(*facts, item.target->domain)) {
        item.input.domain_problem = describe_problem(*problem);
      }
    }
    const Result<apig::Group>& group =
        groups_.at({item.target->instance_id, item.target->group_id});
    RemoteObservation& remote = item.input.remote;
    if (!group) {
      remote.status = RemoteObservation::Status::Error;
      remote.error = group.error();
      continue;
    }
    const apig::UrlDomain* domain = find_domain(*group, *item.target);
    if (domain == nullptr) {
      remote.status = RemoteObservation::Status::DomainMissing;
      continue;
    }
    remote.status = RemoteObservation::Status::Found;
    remote.domain_id = domain->id;
    remote.sl_domain = group->sl_domain;
    remote.cname_status = domain->cname_status;
    std::tie(remote.bound_ssl_id, remote.bound_name) = bound_certificate(*domain);
    item.sl_domain = group->sl_domain;
    item.domain_name = domain->domain;
    item.cname = domain->cname_status;
  }

  // The downgrade guard needs the expiry of a bound certificate that is not ours.
  std::vector<std::size_t> foreign;
  for (std::size_t i = 0; i < work.size(); ++i) {
    const Work& item = work[i];
    const RemoteObservation& remote = item.input.remote;
    const DiskObservation& disk = *item.input.disk;
    if (remote.status != RemoteObservation::Status::Found || remote.bound_ssl_id.empty() ||
        !disk.certificate || remote.bound_name == disk.certificate->name ||
        same_name_prefix(remote.bound_name, disk.certificate->name) ||
        (item.input.state != nullptr && item.input.state->ssl_id == remote.bound_ssl_id)) {
      continue;
    }
    foreign.push_back(i);
  }
  pool_.run(foreign.size(), [&](std::size_t i, apig::Client& client) {
    Work& item = work[foreign[i]];
    count(false);
    Result<apig::Certificate> details =
        client.get_bound_certificate(item.target->instance_id, item.target->group_id,
                                     item.input.remote.domain_id, item.input.remote.bound_ssl_id);
    if (details && !details->not_after.empty()) {
      if (Result<SystemTime> expiry = parse_utc_iso8601(details->not_after)) {
        item.input.remote.bound_not_after = *expiry;
      }
    }
  });
}

std::optional<bool> Pass::already_bound(Work& item, apig::Client& client) {
  count(false);
  Result<apig::Group> group = client.get_group(item.target->instance_id, item.target->group_id);
  if (!group) {
    return std::nullopt;
  }
  const apig::UrlDomain* domain = find_domain(*group, *item.target);
  if (domain == nullptr || !desired_is_bound(*domain, item.plan.certificate_name)) {
    return false;
  }
  item.ssl_id = ssl_id_of(*domain, item.plan.certificate_name);
  item.bound_name = item.plan.certificate_name;
  item.cname = domain->cname_status;
  return true;
}

// Right before a target's first write (replicas only): the group is read again and the
// target planned again on what it shows, since another instance may have bound the desired
// certificate, or a newer one, after this pass observed the group. False when no write is
// wanted any more; item.plan then holds the new decision (None: bound meanwhile; Refuse: a
// newer certificate is bound; ReportDrift). A failed re-read changes nothing: the write
// goes ahead on the pass's own observation, as without replicas.
bool Pass::still_wanted(Work& item, apig::Client& client) {
  count(false);
  Result<apig::Group> group = client.get_group(item.target->instance_id, item.target->group_id);
  const apig::UrlDomain* domain = group ? find_domain(*group, *item.target) : nullptr;
  if (domain == nullptr) {
    return true;
  }
  RemoteObservation remote = item.input.remote;
  std::tie(remote.bound_ssl_id, remote.bound_name) = bound_certificate(*domain);
  if (remote.bound_ssl_id == item.input.remote.bound_ssl_id &&
      remote.bound_name == item.input.remote.bound_name) {
    return true;  // Nothing changed since the observation.
  }
  // The expiry of a foreign certificate is known only for what the observation read in
  // detail; ours carry their expiry day in the name (plan.h, date_from_name).
  remote.bound_not_after.reset();
  remote.cname_status = domain->cname_status;
  item.input.remote = std::move(remote);
  item.cname = domain->cname_status;
  PlanInput input;
  input.settings = &config_;
  input.now = clock_.now();
  input.options = options_.plan;
  input.targets.push_back(item.input);
  item.plan = std::move(plan(input).front());
  item.bound_meanwhile = item.plan.action == Action::None;
  return item.plan.action == Action::Bind || item.plan.action == Action::Update;
}

bool Pass::bind(Work& item, const cert::Bundle& bundle, apig::Client& client) {
  const std::string& domain_id =
      item.input.remote.domain_id.empty() ? item.target->domain_id : item.input.remote.domain_id;
  std::string old_ssl_id = item.plan.bound_ssl_id;
  bool maybe_written = false;
  for (int attempt = 0;; ++attempt) {
    if (maybe_written || (attempt > 0 && replicas())) {
      std::optional<bool> done = already_bound(item, client);
      if (done && *done) {
        return true;
      }
    }
    count(true);
    Result<apig::BoundDomain> bound = client.bind_certificate(
        item.target->instance_id, item.target->group_id, domain_id,
        {item.plan.certificate_name, bundle.certificate_pem(), &bundle.private_key_pem()});
    if (bound) {
      item.ssl_id = bound->ssl_id;
      item.bound_name = bound->ssl_name.empty() ? item.plan.certificate_name : bound->ssl_name;
      item.cname = bound->status;
      return true;
    }
    Error error = std::move(bound.error());
    if (error.field("apig_error_code") == "APIG.2051" && (maybe_written || replicas())) {
      // "The domain has a certificate": an earlier attempt whose outcome was unknown may have
      // landed after the re-read (or the re-read failed), or another instance bound it. If
      // it is ours, the write is done.
      const std::optional<bool> done = already_bound(item, client);
      if (done && *done) {
        return true;
      }
    }
    if (error.field("apig_error_code") == "APIG.2051" && !old_ssl_id.empty()) {
      if (!item.plan.may_delete_bound) {
        item.error = std::move(error).with_context(
            "APIG keeps one certificate per domain and the bound one ('" + item.plan.bound_name +
            "') was not created by apig-certd; not deleting it because drift = \"report\"");
        return false;
      }
      // Delete the old binding (and with it the old certificate), then post again at once.
      count(true);
      Result<void> deleted = client.delete_bound_certificate(
          item.target->instance_id, item.target->group_id, domain_id, old_ssl_id);
      if (!deleted && deleted.error().code() != ErrorCode::NotFound) {
        item.error = std::move(deleted.error())
                         .with_context("replacing certificate '" + item.plan.bound_name + "'");
        return false;
      }
      item.deleted_with_binding.push_back(old_ssl_id);
      old_ssl_id.clear();
      continue;
    }
    if (!is_retryable(error.code())) {
      item.error = std::move(error);
      return false;
    }
    maybe_written = maybe_written || unknown_outcome(error);
    if (!back_off(attempt, error)) {
      item.error = std::move(error).with_context(giving_up());
      return false;
    }
  }
}

bool Pass::update(Work& item, const cert::Bundle& bundle, apig::Client& client) {
  for (int attempt = 0;; ++attempt) {
    count(true);
    Result<apig::Certificate> updated = client.update_certificate(
        item.plan.bound_ssl_id,
        {item.plan.certificate_name, bundle.certificate_pem(), &bundle.private_key_pem()});
    if (updated) {
      item.ssl_id = item.plan.bound_ssl_id;
      item.bound_name = item.plan.certificate_name;
      return true;
    }
    Error error = std::move(updated.error());
    if (error.code() == ErrorCode::NotFound) {
      // The certificate object is gone (deleted in the console): bind afresh.
      item.plan.bound_ssl_id.clear();
      return bind(item, bundle, client);
    }
    if (!is_retryable(error.code())) {
      item.error = std::move(error);
      return false;
    }
    // A PUT is idempotent: writing the same content twice is harmless, so no re-read.
    if (!back_off(attempt, error)) {
      item.error = std::move(error).with_context(giving_up());
      return false;
    }
  }
}

void Pass::execute_one(Work& item, const cert::Bundle& bundle, apig::Client& client) {
  if (stopping()) {
    item.error = Error(ErrorCode::Unavailable, "not attempted: apig-certd is stopping");
    return;
  }
  if (replicas() && !options_.plan.force && !still_wanted(item, client)) {
    return;  // Not attempted: item.plan says why (bound meanwhile, a newer one bound, ...).
  }
  item.attempted_write = true;
  item.written = item.plan.action == Action::Update ? update(item, bundle, client)
                                                    : bind(item, bundle, client);
}

void Pass::load_for_writes(std::vector<LoadedBinding>& loaded, std::vector<Work>& work) {
  for (Work& item : work) {
    if (item.plan.action != Action::Bind && item.plan.action != Action::Update) {
      continue;
    }
    LoadedBinding& binding = loaded[item.loaded];
    if (!binding.observed.bundle && !binding.changed_during_pass) {
      binding.changed_during_pass = load_for_write(binding, bundles_, key_decoders_);
      ++loads_for_writes_;
    }
    if (binding.changed_during_pass) {
      item.plan.action = Action::Skip;
      item.plan.failure = true;
      item.plan.retryable = true;
      item.plan.reason = *binding.changed_during_pass;
    }
  }
}

void Pass::execute(std::vector<LoadedBinding>& loaded, std::vector<Work>& work) {
  std::vector<std::size_t> writes;
  for (std::size_t i = 0; i < work.size(); ++i) {
    if (work[i].plan.action == Action::Bind || work[i].plan.action == Action::Update) {
      writes.push_back(i);
    }
  }
  pool_.run(writes.size(), [&](std::size_t i, apig::Client& client) {
    Work& item = work[writes[i]];
    execute_one(item, *loaded[item.loaded].observed.bundle, client);
  });
}

void Pass::poll(std::vector<Work>& work) {
  const auto needs_poll = [](const Work& item) {
    const bool serving = item.written || item.plan.action == Action::None;
    return serving && !item.cname_final;
  };
  for (Work& item : work) {
    if (item.cname == apig::CnameStatus::Resolved || item.cname == apig::CnameStatus::Failed) {
      item.cname_final = needs_poll(item);
    }
  }
  while (true) {
    std::set<GroupKey> keys;
    for (const Work& item : work) {
      if (needs_poll(item)) {
        keys.emplace(item.target->instance_id, item.target->group_id);
      }
    }
    if (keys.empty() || clock_.monotonic_now() + config_.poll.interval >= deadline_) {
      return;
    }
    if (!sleep(config_.poll.interval)) {
      return;
    }
    const std::vector<GroupKey> ordered(keys.begin(), keys.end());
    std::vector<std::optional<Result<apig::Group>>> results(ordered.size());
    pool_.run(ordered.size(), [&](std::size_t i, apig::Client& client) {
      count(false);
      results[i] = client.get_group(ordered[i].first, ordered[i].second);
    });
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      if (!*results[i]) {
        continue;  // Transient: the next round reads again.
      }
      const apig::Group& group = **results[i];
      for (Work& item : work) {
        if (!needs_poll(item) || item.target->instance_id != ordered[i].first ||
            item.target->group_id != ordered[i].second) {
          continue;
        }
        if (const apig::UrlDomain* domain = find_domain(group, *item.target)) {
          // Something else (a console user, another tool, a restored backend) may replace or
          // remove the certificate while we wait for the CNAME: waiting on would be for
          // nothing, so the target fails now and the next attempt sees the drift.
          const std::string& ours = serving_name(item);
          if (!ours.empty() && ssl_id_of(*domain, ours).empty()) {
            item.lost_to = domain->ssl_name.empty() ? domain->ssl_id : domain->ssl_name;
            item.cname_final = true;
            continue;
          }
          item.cname = domain->cname_status;
          item.cname_final =
              item.cname == apig::CnameStatus::Resolved || item.cname == apig::CnameStatus::Failed;
        }
      }
    }
  }
}

ProbeVerdict Pass::probe_until_verified(const Work& item) {
  const std::string& domain = item.target->domain.empty() ? item.domain_name : item.target->domain;
  const probe::ProbeRequest request = probe_request(*item.target, domain, config_.apig.timeout);
  for (int attempt = 0;; ++attempt) {
    const Result<std::string> served =
        domain.starts_with("*.")
            ? Result<std::string>(fail(ErrorCode::InvalidArgument,
                                       "a wildcard domain has no name to send as SNI; set "
                                       "verify = false for this target"))
            : probe::served_leaf_sha256(request);
    ProbeVerdict verdict = judge_probe(request, item.plan.sha256, served);
    // A wildcard will not heal by waiting; anything else may (propagation, a restart).
    if (verdict.verified || domain.starts_with("*.") || !back_off(attempt, *verdict.error)) {
      return verdict;
    }
  }
}

void Pass::verify(std::vector<Work>& work) {
  const SystemTime now = clock_.now();
  std::vector<std::size_t> due;
  for (std::size_t i = 0; i < work.size(); ++i) {
    const Work& item = work[i];
    ProbeDueInput input;
    input.verify = item.target->verify;
    input.serving = item.written || item.plan.action == Action::None;
    input.written = item.written;
    input.cname = item.cname;
    input.sha256 = item.plan.sha256;
    input.state = item.input.state;
    input.mode = options_.plan.mode;
    input.now = now;
    if (probe_due(input) && !stopping()) {
      due.push_back(i);
    }
  }
  // The probes need no APIG client; the pool only bounds how many run at once.
  pool_.run(due.size(), [&](std::size_t i, apig::Client& /*client*/) {
    Work& item = work[due[i]];
    item.verdict = probe_until_verified(item);
  });
}

void Pass::apply_verdict(const Work& item, TargetOutcome& result) {
  if (!item.verdict || !result.ok) {
    return;
  }
  if (item.verdict->verified) {
    result.detail += "; " + item.verdict->detail;
    return;
  }
  result.ok = false;
  result.result = "failed";
  result.detail = item.verdict->detail;
}

TargetOutcome Pass::outcome(const Work& item) const {
  TargetOutcome result;
  result.key = item.plan.key;
  result.binding = item.binding->name;
  result.target = target_label(*item.target);
  result.group_id = item.target->group_id;
  result.warnings = item.plan.warnings;
  const auto cname_verdict = [&](const std::string& serving) {
    switch (item.cname) {
      case apig::CnameStatus::Resolved:
        return std::make_pair(true, serving + ", CNAME resolved");
      case apig::CnameStatus::Failed:
        return std::make_pair(false, serving +
                                         ", but CNAME resolution failed: point the "
                                         "domain's CNAME record at the group's subdomain '" +
                                         item.sl_domain + "'");
      default:
        break;
    }
    if (options_.cname_polled_later) {
      return std::make_pair(false, serving + ", CNAME status " +
                                       std::to_string(static_cast<int>(item.cname)) +
                                       " (resolving); checking again every " +
                                       format_duration(config_.poll.interval));
    }
    if (!options_.wait_for_cname) {
      return std::make_pair(true, serving + " (CNAME not checked: --no-wait)");
    }
    return std::make_pair(
        false, serving + ", CNAME still resolving after " + format_duration(config_.poll.timeout));
  };
  if (options_.dry_run) {
    switch (item.plan.action) {
      case Action::None:
        result.result = "in sync";
        result.ok = true;
        break;
      case Action::Bind:
        result.result = "would bind";
        result.ok = true;
        break;
      case Action::Update:
        result.result = "would update";
        result.ok = true;
        break;
      default:
        result.result = "failed";
        break;
    }
    result.detail = item.plan.reason;
    return result;
  }
  if (item.lost_to) {
    const std::string& ours = serving_name(item);
    result.result = "failed";
    result.detail =
        "'" + ours +
        "' was bound, but while its CNAME was resolving the domain stopped serving "
        "it (it now serves " +
        (item.lost_to->empty() ? std::string("no certificate") : "'" + *item.lost_to + "'") +
        "); something else changed the domain; the next attempt binds again "
        "(or reports it, with drift = \"report\")";
    return result;
  }
  if (item.plan.action == Action::None) {
    const auto [ok, detail] = cname_verdict(
        "'" + item.plan.certificate_name + "' is bound" +
        (item.bound_meanwhile ? " (another instance bound it after this pass read the group)"
                              : ""));
    result.ok = ok;
    result.result =
        ok ? "in sync" : (item.cname == apig::CnameStatus::Failed ? "failed" : "resolving");
    result.detail = detail;
    apply_verdict(item, result);
    return result;
  }
  if (!item.attempted_write) {
    result.result = "failed";
    result.detail = item.plan.reason;
    return result;
  }
  if (!item.written) {
    result.result = "failed";
    result.detail = item.error ? item.error->to_string() : "unknown error";
    return result;
  }
  const auto [ok, detail] = cname_verdict("'" + item.bound_name + "' (ssl_id " + item.ssl_id + ")");
  result.ok = ok;
  result.result = ok ? "bound" : (item.cname == apig::CnameStatus::Failed ? "failed" : "resolving");
  result.detail = (item.plan.action == Action::Update ? "updated in place: " : "") + detail;
  // A certificate was bound behind our back and we put ours back: say so, since the operator
  // will want to know who keeps changing it.
  if (item.plan.repairs_drift) {
    result.detail = "repaired drift (the domain served '" +
                    (item.plan.bound_name.empty() ? item.plan.bound_ssl_id : item.plan.bound_name) +
                    "'): " + result.detail;
  }
  apply_verdict(item, result);
  return result;
}

void Pass::record(const std::vector<Work>& work, state::State& state) const {
  const SystemTime now = clock_.now();
  for (const Work& item : work) {
    state::TargetState& entry = state.targets[item.plan.key];
    entry.binding = item.binding->name;
    entry.instance_id = item.target->instance_id;
    entry.group_id = item.target->group_id;
    entry.domain = item.target->domain;
    if (!item.input.remote.domain_id.empty()) {
      entry.domain_id = item.input.remote.domain_id;
    } else if (!item.target->domain_id.empty()) {
      entry.domain_id = item.target->domain_id;
    }
    if (item.input.disk != nullptr && item.input.disk->certificate) {
      entry.disk_sha256 = item.input.disk->certificate->sha256;
      entry.disk_not_after = item.input.disk->certificate->not_after;
    }
    if (item.cname != apig::CnameStatus::Unknown) {
      entry.cname_status = static_cast<int>(item.cname);
    }
    const TargetOutcome result = outcome(item);
    if (item.plan.action == Action::None) {
      entry.bound_sha256 = item.plan.sha256;
      entry.bound_name = item.plan.certificate_name;
      entry.ssl_id =
          item.input.remote.bound_ssl_id.empty() ? entry.ssl_id : item.input.remote.bound_ssl_id;
      // In sync: the bound certificate is the one on disk (the name carries its
      // fingerprint), even when another instance bound it after our last write.
      if (item.input.disk->certificate) {
        entry.bound_not_after = item.input.disk->certificate->not_after;
      }
    }
    if (item.attempted_write) {
      entry.last_attempt = now;
      ++(item.written ? entry.bind_successes : entry.bind_failures);
    }
    std::erase_if(entry.created, [&](const state::CreatedCertificate& created) {
      return std::find(item.deleted_with_binding.begin(), item.deleted_with_binding.end(),
                       created.ssl_id) != item.deleted_with_binding.end();
    });
    if (item.written) {
      entry.bound_sha256 = item.plan.sha256;
      entry.bound_name = item.bound_name;
      entry.ssl_id = item.ssl_id;
      entry.bound_at = now;
      entry.bound_not_after = item.input.disk->certificate->not_after;
      if (!item.ssl_id.empty()) {
        state::CreatedCertificate made;
        made.ssl_id = item.ssl_id;
        made.name = item.bound_name;
        made.sha256 = item.plan.sha256;
        made.created_at = now;
        state::remember_created(entry.created, std::move(made), item.binding->keep_previous);
      }
    }
    if (item.plan.action == Action::Wait) {
      // Not tried: its retry is not due. The failure it waits on stays recorded as it was
      // (result, error, count, next attempt), so status and metrics keep the real error.
      continue;
    }
    const bool failed = !result.ok && result.result == "failed";
    entry.last_result = result.result == "in sync" ? "in_sync" : result.result;
    if (item.plan.action == Action::Refuse) {
      entry.last_result = "refused";
    } else if (item.plan.action == Action::ReportDrift) {
      entry.last_result = "drift";
    } else if (item.plan.action == Action::Skip && !item.plan.retryable) {
      entry.last_result = "invalid";
    }
    if (item.verdict && item.verdict->verified) {
      entry.verified_sha256 = item.plan.sha256;
      entry.verified_at = now;
    }
    const bool probe_failed = failed && item.verdict && !item.verdict->verified;
    if (failed) {
      ++entry.consecutive_failures;
      const Error* error = item.error ? &*item.error : nullptr;
      if (probe_failed) {
        error = &*item.verdict->error;
      }
      std::string code = "failed";
      if (probe_failed) {
        code = item.verdict->code;
      } else if (error != nullptr) {
        code = error->field("apig_error_code").value_or(std::string(to_string(error->code())));
      } else if (item.plan.action == Action::Skip) {
        code = item.plan.retryable ? "Unavailable" : "invalid";
      } else {
        code = std::string(to_string(item.plan.action));
      }
      entry.last_error = state::LastError{code, result.detail, now};
      entry.failed_sha256 = item.plan.sha256;
      // A failed probe is always retried: the bind is done, only the probe is asked again.
      const bool transient =
          probe_failed || (error != nullptr ? is_retryable(error->code()) : item.plan.retryable);
      entry.next_attempt =
          now + (transient ? backoff_ceiling(entry.consecutive_failures - 1, config_.retry.initial,
                                             config_.retry.max)
                           : config_.daemon.rescan_interval);
    } else if (result.ok) {
      entry.consecutive_failures = 0;
      entry.last_success = now;
      entry.last_error.reset();
      entry.failed_sha256.clear();
      entry.next_attempt.reset();
    }
  }
}

std::vector<CleanupOutcome> Pass::clean_up(const std::vector<Work>& work, state::State& state) {
  std::vector<CleanupTarget> targets;
  for (const Work& item : work) {
    const Action action = item.plan.action;
    const bool planned =
        action == Action::None || action == Action::Bind || action == Action::Update;
    targets.push_back({item.binding, item.plan.key, item.input.remote.bound_ssl_id, item.ssl_id,
                       options_.dry_run ? action == Action::Bind : item.written,
                       options_.dry_run ? planned : outcome(item).ok && !stopping()});
  }
  std::vector<const apig::Group*> groups;
  for (const auto& [key, group] : groups_) {
    if (group) {
      groups.push_back(&*group);
    }
  }
  const auto in_use = certificates_in_use(groups, targets);
  const Duration interval = config_.daemon.rescan_interval;
  if (options_.dry_run) {
    return preview_cleanup(targets, in_use, state, clock_.now(), interval);
  }
  std::vector<CleanupOutcome> cleanups =
      run_cleanup(pool_, targets, in_use, state, clock_.now(), interval);
  for (const CleanupOutcome& cleanup : cleanups) {
    requests_ += cleanup.requests;
    writes_ += cleanup.requests;
  }
  return cleanups;
}

ReconcileReport Pass::run(std::vector<LoadedBinding>& loaded, std::vector<Work>& work,
                          state::State& state) {
  observe(loaded, work, state);
  PlanInput input;
  input.settings = &config_;
  input.now = clock_.now();
  input.options = options_.plan;
  for (const Work& item : work) {
    input.targets.push_back(item.input);
  }
  std::vector<TargetPlan> plans = plan(input);
  for (std::size_t i = 0; i < work.size(); ++i) {
    work[i].plan = std::move(plans[i]);
  }
  ReconcileReport report;
  for (const auto& [key, group] : groups_) {
    report.remote_unreadable = report.remote_unreadable || !group;
  }
  if (!options_.dry_run) {
    load_for_writes(loaded, work);
    execute(loaded, work);
    if (options_.wait_for_cname) {
      poll(work);
    }
    verify(work);
    record(work, state);
  }
  const std::vector<CleanupOutcome> cleanups = clean_up(work, state);
  for (std::size_t i = 0; i < work.size(); ++i) {
    TargetOutcome result = outcome(work[i]);
    result.detail += cleanups[i].detail;
    result.warnings.insert(result.warnings.end(), cleanups[i].warnings.begin(),
                           cleanups[i].warnings.end());
    result.deleted = cleanups[i].deleted;
    report.outcomes.push_back(std::move(result));
  }
  report.requests = requests_;
  report.writes = writes_;
  for (const LoadedBinding& binding : loaded) {
    ++(binding.from_cache ? report.bundles_cached : report.bundles_parsed);
  }
  report.bundles_parsed += loads_for_writes_;
  return report;
}

}  // namespace

int ReconcileReport::failed() const {
  return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(),
                                        [](const TargetOutcome& outcome) { return !outcome.ok; }));
}

Reconciler::Reconciler(const settings::Settings& config, ClientFactory clients, const Clock& clock)
    : config_(config),
      clients_(std::move(clients)),
      clock_(clock),
      random_(std::random_device{}()) {}

Result<ReconcileReport> Reconciler::run(state::State& state, const ReconcileOptions& options) {
  const SystemTime now = clock_.now();
  std::vector<LoadedBinding> loaded;
  std::vector<Work> work;
  // Both are large per entry: growing them by doubling would touch twice the memory.
  loaded.reserve(config_.bindings.size());
  work.reserve(settings::target_count(config_));
  for (const settings::BindingSettings& binding : config_.bindings) {
    if (!options.bindings.empty() && std::find(options.bindings.begin(), options.bindings.end(),
                                               binding.name) == options.bindings.end()) {
      continue;
    }
    LoadedBinding unread;  // read by the pass, on the workers (Pass::observe)
    unread.binding = &binding;
    unread.checked_at = now;
    loaded.push_back(std::move(unread));
    for (const settings::TargetSettings& target : binding.targets) {
      Work item;
      item.binding = &binding;
      item.target = &target;
      item.loaded = loaded.size() - 1;
      work.push_back(std::move(item));
    }
  }
  std::set<GroupKey> groups;
  for (const Work& item : work) {
    groups.emplace(item.target->instance_id, item.target->group_id);
  }
  const auto wanted = static_cast<std::size_t>(std::max(1, config_.daemon.concurrency));
  const std::size_t worker_count =
      std::max<std::size_t>(1, std::min(wanted, std::max(work.size(), groups.size())));
  std::vector<apig::ClientHandle> clients;
  while (clients.size() < worker_count && !idle_clients_.empty()) {
    clients.push_back(std::move(idle_clients_.back()));
    idle_clients_.pop_back();
  }
  for (std::size_t i = clients.size(); i < worker_count; ++i) {
    Result<apig::ClientHandle> client = clients_();
    if (!client) {
      return fail(std::move(client.error()).with_context("setting up the APIG client"));
    }
    clients.push_back(std::move(*client));
  }
  WorkerPool pool(std::move(clients));
  Pass pass(config_, clock_, pool, bundles_, key_decoders_, random_, options);
  ReconcileReport report = pass.run(loaded, work, state);
  if (options.bindings.empty()) {
    prune_bundle_cache(bundles_, config_.bindings);
  }
  std::vector<apig::ClientHandle> used = pool.take_clients();
  idle_clients_.insert(idle_clients_.end(), std::make_move_iterator(used.begin()),
                       std::make_move_iterator(used.end()));
  return report;
}

}  // namespace apig_certd::engine
