// One reconcile pass: observe, plan, execute, record.
//
// Execute: the writes run on the worker pool, each a BindMachine (bind.h) retried with
// exponential backoff and full jitter while the error is transient and the pass's retry budget
// lasts. Then the CNAME poll (cname_poll.h; one read per group per round, every poll.interval,
// until resolved, failed or the deadline) and, for verify = true, the TLS probe, retried with
// the same backoff; a mismatch fails the target but never re-binds.
//
// Replicas (daemon.jitter > 0: other instances may write the same targets): right before its
// first write a target's group is read again and the target planned again on what it shows,
// so a certificate another instance bound since the observation is not written twice, and a
// newer one is never replaced (the downgrade guard). Without jitter the observation, moments
// before the writes, is the only read.
//
// The private key lives in the loaded Bundle (a Secret) for the length of the pass and is
// wiped when the pass ends; it is only ever copied into the request body of a bind. Nothing is
// ever bound from the bundle cache: before the writes start, every binding with a planned
// write and no parsed bundle is loaded; if its files no longer say what the plan was made on
// (a renewal landed during the pass), its targets are not written in this pass and fail as
// retryable, and the file change brings another pass anyway.
//
// Cleanup (cleanup.h): once every outcome is recorded, each target whose bind is confirmed has
// its superseded certificates deleted; what that did is added to its outcome, never changes it.

#include "daemon/engine/reconciler.h"

#include <algorithm>
#include <atomic>

#include "daemon/engine/cleanup.h"
#include "daemon/engine/target_writes.h"
#include "daemon/engine/worker_pool.h"

namespace apig_certd::engine {

namespace {

bool writes(const TargetPlan& plan) {
  return plan.action == Action::Bind || plan.action == Action::Update ||
         plan.action == Action::Attach;
}

// The pass's shared parts.
struct Pass {
  const settings::Settings& config;
  const ReconcileOptions& options;
  WorkerPool& pool;
  RetryBudget& retry;
  std::atomic<int> requests{0};
  std::atomic<int> writes{0};

  [[nodiscard]] bool replicas() const { return config.daemon.jitter > Duration::zero(); }
};

// The bindings of ReconcileOptions::hold_if_invalid whose bundle is not bindable now.
std::vector<HeldBinding> held_bindings(const Observation& observation,
                                       const std::set<std::string>& hold_if_invalid) {
  std::vector<HeldBinding> held;
  for (const ObservedBinding& binding : observation.bindings) {
    const std::optional<DiskCertificate>& disk = binding.disk.certificate;
    if (!hold_if_invalid.contains(binding.binding->name) || (disk && disk->errors.empty())) {
      continue;
    }
    held.push_back({binding.binding->name, disk ? disk->errors.front() : binding.disk.load_error});
  }
  return held;
}

std::vector<TargetRun> plan_targets(const Observation& observation, const Pass& pass,
                                    SystemTime now, const std::vector<HeldBinding>& held) {
  PlanInput input;
  input.settings = &pass.config;
  input.now = now;
  input.options = pass.options.plan;
  std::vector<const ObservedTarget*> planned;
  for (const ObservedTarget& target : observation.targets) {
    if (std::none_of(held.begin(), held.end(), [&](const HeldBinding& hold) {
          return hold.binding == target.binding->name;
        })) {
      input.targets.push_back(target.input);
      planned.push_back(&target);
    }
  }
  std::vector<TargetPlan> plans = plan(input);
  std::vector<TargetRun> runs(plans.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i].observed = planned[i];
    runs[i].plan = std::move(plans[i]);
    runs[i].poll.target = planned[i]->target;
    runs[i].poll.serving_name = runs[i].plan.certificate_name;
    runs[i].poll.cname = planned[i]->input.remote.cname_status;
  }
  return runs;
}

// Every binding with a planned write and only cached facts is loaded now, one after the other
// in the pass's thread; a binding whose files changed since the observation is not written.
int load_for_writes(Observation& observation, std::vector<TargetRun>& runs, BundleCache& cache,
                    cert::KeyDecoders& decoders, SystemTime checked_at) {
  int loads = 0;
  std::vector<std::optional<std::string>> changed(observation.bindings.size());
  std::vector<char> loaded(observation.bindings.size(), 0);
  for (TargetRun& run : runs) {
    const std::size_t b = run.observed->binding_index;
    if (!writes(run.plan)) {
      continue;
    }
    if (!observation.bindings[b].bundle.bundle && loaded[b] == 0) {
      changed[b] = load_for_write(observation.bindings[b], checked_at, cache, decoders);
      loaded[b] = 1;
      ++loads;
    }
    if (changed[b]) {
      run.not_attempted = Error(ErrorCode::Unavailable, *changed[b]);
    }
  }
  return loads;
}

// Replicas: the group read again right before the first write, and the target planned again
// on it when what is bound changed. A failed re-read changes nothing.
void replan_before_write(TargetRun& run, Pass& pass, apig::Client& client, SystemTime now) {
  const ObservedTarget& observed = *run.observed;
  ++pass.requests;
  Result<apig::Group> group =
      client.get_group(observed.target->instance_id, observed.target->group_id);
  const apig::UrlDomain* domain = group ? find_domain(*group, *observed.target) : nullptr;
  if (domain == nullptr) {
    return;
  }
  TargetInput input = observed.input;
  const DiskCertificate* disk = input.disk->certificate ? &*input.disk->certificate : nullptr;
  BoundCertificate bound = bound_certificate(
      *domain, disk != nullptr ? disk->algorithm : apig::CertificateAlgorithm::Unknown);
  input.remote.bound_ssl_id = std::move(bound.ssl_id);
  input.remote.bound_name = std::move(bound.name);
  input.remote.bound_scope = bound.scope;
  if (input.remote.bound_ssl_id == observed.input.remote.bound_ssl_id &&
      input.remote.bound_name == observed.input.remote.bound_name) {
    return;  // Nothing changed since the observation.
  }
  // The expiry of a foreign certificate is known only for what the observation read in
  // detail; ours carry their expiry day in the name (plan.h, date_from_name).
  input.remote.bound_not_after.reset();
  input.remote.cname_status = domain->cname_status;
  input.remote.client_verification = domain->uses_client_verification();
  run.poll.cname = domain->cname_status;
  PlanInput again;
  again.settings = &pass.config;
  again.now = now;
  again.options = pass.options.plan;
  again.targets.push_back(std::move(input));
  run.replanned = std::move(plan(again).front());
}

void execute_one(TargetRun& run, const cert::Bundle& bundle, const std::string& attach_id,
                 Pass& pass, apig::Client& client, SystemTime now) {
  if (pass.retry.stopping()) {
    run.not_attempted = Error(ErrorCode::Unavailable, "not attempted: apig-certd is stopping");
    return;
  }
  if (pass.replicas() && !pass.options.plan.force) {
    replan_before_write(run, pass, client, now);
    if (!writes(run.decision())) {
      return;  // Not attempted: the re-plan says why (bound meanwhile, a newer one bound, ...).
    }
  }
  const TargetPlan& plan = run.decision();
  const ObservedTarget& observed = *run.observed;
  BindJob job;
  job.target = observed.target;
  job.domain_id = observed.input.remote.domain_id.empty() ? observed.target->domain_id
                                                          : observed.input.remote.domain_id;
  job.certificate_name = plan.certificate_name;
  job.bound_ssl_id = plan.bound_ssl_id;
  job.bound_name = plan.bound_name;
  job.update = plan.action == Action::Update;
  job.make_room = plan.make_room;
  job.replicas = pass.replicas();
  job.client_verification = observed.input.remote.client_verification;
  job.attach_id = attach_id;
  // An attach sends an object's id: the object carries the CA.
  Result<std::string> client_ca =
      attach_id.empty() ? read_client_ca(*observed.target) : std::string();
  if (!client_ca) {
    run.write = BindResult{};
    run.write->error = std::move(client_ca.error());
    return;
  }
  const apig::CertificateUpload upload{plan.certificate_name, bundle.certificate_pem(),
                                       &bundle.private_key_pem(), *client_ca};
  const RemoteObservation& remote = observed.input.remote;
  if (remote.bound_name == plan.certificate_name && !remote.port_entries.empty()) {
    // Bound on the first entry already: only the other port entries are written.
    run.write = BindResult{};
    run.write->written = true;
    run.write->ssl_id = remote.bound_ssl_id;
    run.write->bound_name = remote.bound_name;
    run.write->cname = remote.cname_status;
  } else {
    run.write = run_bind(job, upload, client, pass.retry);
  }
  if (run.write->written && !remote.port_entries.empty()) {
    write_port_entries(run, job, upload, client, pass.retry);
  }
  pass.requests += run.write->requests;
  pass.writes += run.write->writes;
  if (run.write->written) {
    run.poll.serving_name = run.write->bound_name;
    run.poll.cname = run.write->cname;
  }
}

void execute(Observation& observation, std::vector<TargetRun>& runs, Pass& pass, SystemTime now) {
  std::vector<TargetRun*> due;
  for (TargetRun& run : runs) {
    if (writes(run.plan) && !run.not_attempted) {
      due.push_back(&run);
    }
  }
  const AttachObjects objects = make_attach_objects(observation, due, pass.pool, pass.retry);
  pass.requests += objects.requests;
  pass.writes += objects.writes;
  pass.pool.run(due.size(), [&](std::size_t i, apig::Client& client) {
    TargetRun& run = *due[i];
    if (run.write) {
      return;  // Its certificate object could not be made.
    }
    execute_one(run, *observation.bindings[run.observed->binding_index].bundle.bundle,
                objects.ids[i], pass, client, now);
  });
}

void poll(std::vector<TargetRun>& runs, Pass& pass) {
  std::vector<PolledTarget*> targets;
  for (TargetRun& run : runs) {
    if (run.serving()) {
      targets.push_back(&run.poll);
    }
  }
  pass.requests += poll_until_done(targets, pass.pool, pass.retry, pass.config.poll.interval);
}

ProbeVerdict probe_until_verified(const TargetRun& run, const Pass& pass) {
  const ObservedTarget& observed = *run.observed;
  const std::string& domain =
      observed.target->domain.empty() ? observed.domain_name : observed.target->domain;
  const probe::ProbeRequest request =
      probe_request(*observed.target, domain, pass.config.apig.timeout);
  for (int attempt = 0;; ++attempt) {
    const Result<std::string> served =
        domain.starts_with("*.")
            ? Result<std::string>(fail(ErrorCode::InvalidArgument,
                                       "a wildcard domain has no name to send as SNI; set "
                                       "verify = false for this target"))
            : probe::served_leaf_sha256(request);
    ProbeVerdict verdict = judge_probe(request, run.decision().sha256, served);
    // A wildcard will not heal by waiting; anything else may (propagation, a restart).
    if (verdict.verified || domain.starts_with("*.") ||
        !pass.retry.back_off(attempt, *verdict.error)) {
      return verdict;
    }
  }
}

void verify(std::vector<TargetRun>& runs, Pass& pass, SystemTime now) {
  std::vector<TargetRun*> due;
  for (TargetRun& run : runs) {
    ProbeDueInput input;
    input.verify = run.observed->target->verify;
    input.serving = run.serving() && !run.poll.lost_to;
    input.written = run.written();
    input.cname = run.poll.cname;
    input.sha256 = run.decision().sha256;
    input.state = run.observed->input.state;
    input.mode = pass.options.plan.mode;
    input.now = now;
    if (probe_due(input) && !pass.retry.stopping()) {
      due.push_back(&run);
    }
  }
  // The probes need no APIG client; the pool only bounds how many run at once.
  pass.pool.run(due.size(), [&](std::size_t i, apig::Client& /*client*/) {
    due[i]->verdict = probe_until_verified(*due[i], pass);
  });
}

// Cleanup of superseded certificates for the targets whose bind is confirmed, or with
// --dry-run what it would delete; one outcome per target.
std::vector<CleanupOutcome> clean_up(const Observation& observation,
                                     const std::vector<TargetRun>& runs,
                                     const std::vector<TargetOutcome>& outcomes, Pass& pass,
                                     state::State& state, SystemTime now) {
  const bool dry_run = pass.options.dry_run;
  std::vector<CleanupTarget> targets;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const TargetRun& run = runs[i];
    const Action action = run.decision().action;
    targets.push_back({run.observed->binding, run.plan.key, run.decision().bound_ssl_id,
                       run.written() ? run.write->ssl_id : std::string(),
                       dry_run ? action == Action::Bind || action == Action::Attach : run.written(),
                       dry_run ? action == Action::None || writes(run.decision())
                               : outcomes[i].ok() && !pass.retry.stopping()});
  }
  std::vector<const apig::Group*> groups;
  for (const auto& [key, group] : observation.groups) {
    if (group) {
      groups.push_back(&*group);
    }
  }
  const auto in_use = certificates_in_use(groups, targets);
  const Duration interval = pass.config.daemon.rescan_interval;
  if (dry_run) {
    return preview_cleanup(targets, in_use, state, now, interval);
  }
  std::vector<CleanupOutcome> cleanups =
      run_cleanup(pass.pool, targets, in_use, state, now, interval);
  for (const CleanupOutcome& cleanup : cleanups) {
    pass.requests += cleanup.requests;
    pass.writes += cleanup.writes;
  }
  return cleanups;
}

// Record: each target's outcome computed once and written into the state (not with
// --dry-run), then the cleanup's part added to it.
std::vector<TargetOutcome> record_all(const Observation& observation,
                                      const std::vector<TargetRun>& runs, Pass& pass,
                                      state::State& state, SystemTime now) {
  const ReconcileOptions& options = pass.options;
  const OutcomeOptions outcome_options{options.dry_run, options.wait_for_cname,
                                       options.cname_polled_later, pass.config.poll.interval,
                                       pass.config.poll.timeout};
  std::vector<TargetOutcome> outcomes;
  outcomes.reserve(runs.size());
  for (const TargetRun& run : runs) {
    outcomes.push_back(outcome_of(run, outcome_options));
    if (!options.dry_run) {
      record(run, outcomes.back(), pass.config, now, state.targets[run.plan.key]);
    }
  }
  const std::vector<CleanupOutcome> cleanups =
      clean_up(observation, runs, outcomes, pass, state, now);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    outcomes[i].detail += cleanups[i].detail;
    outcomes[i].warnings.insert(outcomes[i].warnings.end(), cleanups[i].warnings.begin(),
                                cleanups[i].warnings.end());
    outcomes[i].deleted = cleanups[i].deleted;
  }
  return outcomes;
}

}  // namespace

int ReconcileReport::failed() const {
  return static_cast<int>(
      std::count_if(outcomes.begin(), outcomes.end(),
                    [](const TargetOutcome& outcome) { return !outcome.ok(); }));
}

Reconciler::Reconciler(const settings::Settings& config, ClientFactory clients, const Clock& clock)
    : config_(config),
      clients_(std::move(clients)),
      clock_(clock),
      random_(std::random_device{}()) {}

Result<ReconcileReport> Reconciler::run(state::State& state, const ReconcileOptions& options) {
  ObserveRequest request;
  request.state = &state;
  request.now = clock_.now();
  request.source = options.bundles;
  std::size_t targets = 0;
  for (const settings::BindingSettings& binding : config_.bindings) {
    if (options.bindings.empty() || std::find(options.bindings.begin(), options.bindings.end(),
                                              binding.name) != options.bindings.end()) {
      request.bindings.push_back(&binding);
      targets += binding.targets.size();
    }
  }
  Result<WorkerPool> pool = make_pool(targets);
  if (!pool) {
    return fail(std::move(pool.error()));
  }
  RetryBudget retry(clock_, config_.retry, options.retry_deadline, config_.poll.timeout, random_,
                    options.stop);
  Pass pass{config_, options, *pool, retry};

  Observation observation = observe(request, bundle_cache_, *pool, retry, key_decoders_);
  pass.requests += observation.requests;
  ReconcileReport report;
  report.held = held_bindings(observation, options.hold_if_invalid);
  std::vector<TargetRun> runs = plan_targets(observation, pass, clock_.now(), report.held);
  report.remote_unreadable = observation.remote_unreadable();
  if (!options.dry_run) {
    report.bundles_parsed +=
        load_for_writes(observation, runs, bundle_cache_, key_decoders_, request.now);
    execute(observation, runs, pass, clock_.now());
    if (options.wait_for_cname) {
      poll(runs, pass);
    }
    verify(runs, pass, clock_.now());
  }
  report.outcomes = record_all(observation, runs, pass, state, clock_.now());
  report.requests = pass.requests;
  report.writes = pass.writes;
  for (const ObservedBinding& binding : observation.bindings) {
    ++(binding.from_cache ? report.bundles_cached : report.bundles_parsed);
  }
  if (options.bindings.empty()) {
    prune_bundle_cache(bundle_cache_, config_.bindings);
  }
  keep_clients(*pool);
  return report;
}

Result<int> Reconciler::poll_cname(const std::vector<PolledTarget*>& targets) {
  Result<WorkerPool> pool = make_pool(targets.size());
  if (!pool) {
    return fail(std::move(pool.error()));
  }
  const int requests = poll_round(targets, *pool);
  keep_clients(*pool);
  return requests;
}

void Reconciler::release_idle_clients() {
  idle_clients_.clear();
  key_decoders_.drop_idle();
}

void Reconciler::keep_clients(WorkerPool& pool) {
  std::vector<apig::ClientHandle> used = pool.take_clients();
  idle_clients_.insert(idle_clients_.end(), std::make_move_iterator(used.begin()),
                       std::make_move_iterator(used.end()));
}

Result<WorkerPool> Reconciler::make_pool(std::size_t targets) {
  const auto wanted = static_cast<std::size_t>(std::max(1, config_.daemon.concurrency));
  const std::size_t count = std::max<std::size_t>(1, std::min(wanted, targets));
  std::vector<apig::ClientHandle> clients;
  while (clients.size() < count && !idle_clients_.empty()) {
    clients.push_back(std::move(idle_clients_.back()));
    idle_clients_.pop_back();
  }
  while (clients.size() < count) {
    Result<apig::ClientHandle> client = clients_();
    if (!client) {
      return fail(std::move(client.error()).with_context("setting up the APIG client"));
    }
    clients.push_back(std::move(*client));
  }
  return WorkerPool(std::move(clients));
}

}  // namespace apig_certd::engine
