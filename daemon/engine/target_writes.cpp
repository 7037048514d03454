// The writes of a pass beyond one bind per target: the client_ca a write carries, the shared
// certificate objects of strategy "attach", and a domain's other port entries.

#include "daemon/engine/target_writes.h"

#include <algorithm>

#include "daemon/core/in_quotes.h"
#include "daemon/engine/certificate_object.h"
#include "daemon/sys/atomic_file.h"

namespace apig_certd::engine {

namespace {

// The most a client_ca bundle may hold: hundreds of CA certificates.
constexpr std::size_t kMaxClientCaBytes = std::size_t{1} << 20;

}  // namespace

Result<std::string> read_client_ca(const settings::TargetSettings& target) {
  const std::string& path = target.client_ca;
  if (path.empty()) {
    return std::string();
  }
  Result<std::string> text = sys::read_small_file(path, kMaxClientCaBytes);
  if (!text) {
    return fail(std::move(text.error()).with_context("reading client_ca"));
  }
  if (text->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return fail(Error(ErrorCode::InvalidArgument,
                      "client_ca " + in_quotes(path) + " holds no PEM certificate"));
  }
  return text;
}

namespace {

// Strategy "attach": the one certificate object of a binding on one instance, made (or found)
// before its targets' attaches.
struct AttachObject {
  std::size_t binding_index = 0;
  std::string instance_id;
  std::vector<std::size_t> runs;  // indices into the due runs
  ObjectResult result;
};

void make_object(AttachObject& object, const TargetRun& first, const Observation& observation,
                 RetryBudget& retry, apig::Client& client) {
  const TargetPlan& plan = first.plan;
  Result<std::string> client_ca = read_client_ca(*first.observed->target);
  if (!client_ca) {
    object.result.error = std::move(client_ca.error());
    return;
  }
  const cert::Bundle& bundle = *observation.bindings[object.binding_index].bundle.bundle;
  const apig::CertificateAlgorithm algorithm = first.observed->input.disk->certificate->algorithm;
  const ObjectJob job{object.instance_id, algorithm == apig::CertificateAlgorithm::Unknown
                                              ? std::string()
                                              : std::string(apig::to_string(algorithm))};
  object.result = ensure_certificate_object(
      job, {plan.certificate_name, bundle.certificate_pem(), &bundle.private_key_pem(), *client_ca},
      client, retry);
}

}  // namespace

AttachObjects make_attach_objects(const Observation& observation,
                                  const std::vector<TargetRun*>& due, WorkerPool& pool,
                                  RetryBudget& retry) {
  std::vector<AttachObject> objects;
  for (std::size_t i = 0; i < due.size(); ++i) {
    const TargetRun& run = *due[i];
    if (run.plan.action != Action::Attach) {
      continue;
    }
    const std::size_t binding = run.observed->binding_index;
    const std::string& instance = run.observed->target->instance_id;
    auto object = std::find_if(objects.begin(), objects.end(), [&](const AttachObject& item) {
      return item.binding_index == binding && item.instance_id == instance;
    });
    if (object == objects.end()) {
      object = objects.insert(objects.end(), AttachObject{binding, instance, {}, {}});
    }
    object->runs.push_back(i);
  }
  pool.run(objects.size(), [&](std::size_t k, apig::Client& client) {
    make_object(objects[k], *due[objects[k].runs.front()], observation, retry, client);
  });
  AttachObjects made;
  made.ids.resize(due.size());
  for (AttachObject& object : objects) {
    made.requests += object.result.requests;
    made.writes += object.result.writes;
    for (const std::size_t i : object.runs) {
      if (object.result.id.empty()) {
        due[i]->write = BindResult{};
        due[i]->write->error = object.result.error;
      } else {
        made.ids[i] = object.result.id;
      }
    }
  }
  return made;
}

void write_port_entries(TargetRun& run, const BindJob& job, const apig::CertificateUpload& upload,
                        apig::Client& client, RetryBudget& retry) {
  const ObservedTarget& observed = *run.observed;
  BindResult& result = *run.write;
  ++result.requests;
  Result<apig::Group> group =
      client.get_group(observed.target->instance_id, observed.target->group_id);
  if (!group) {
    result.written = false;
    result.error = std::move(group.error()).with_context("confirming the domain's port entries");
    return;
  }
  const DiskCertificate& disk = *observed.input.disk->certificate;
  for (const PortEntry& known : observed.input.remote.port_entries) {
    const apig::UrlDomain* entry = group->find_domain_by_id(known.domain_id);
    if (entry == nullptr) {
      continue;  // The port entry was removed since the observation.
    }
    const BoundCertificate bound = bound_certificate(*entry, disk.algorithm);
    if (bound.name == job.certificate_name) {
      continue;
    }
    BindJob entry_job = job;
    entry_job.domain_id = entry->id;
    entry_job.bound_ssl_id = bound.ssl_id;
    entry_job.bound_name = bound.name;
    entry_job.update = false;
    // The primary's policy, except that an object is never deleted from a port entry: it may
    // be the one the other entries serve.
    if (entry_job.make_room == MakeRoom::Delete) {
      entry_job.make_room = MakeRoom::Detach;
    }
    entry_job.client_verification = entry->uses_client_verification();
    BindResult entry_result = run_bind(entry_job, upload, client, retry);
    result.requests += entry_result.requests;
    result.writes += entry_result.writes;
    result.detached.insert(result.detached.end(), entry_result.detached.begin(),
                           entry_result.detached.end());
    result.warnings.insert(result.warnings.end(), entry_result.warnings.begin(),
                           entry_result.warnings.end());
    if (!entry_result.written) {
      result.written = false;
      result.error = std::move(entry_result.error);
      if (result.error) {
        result.error->with_context("port entry " + entry->id + " of '" + entry->domain + "'");
      }
      return;
    }
    if (!entry_result.ssl_id.empty() && entry_result.ssl_id != result.ssl_id) {
      result.entry_ssl_ids.push_back(entry_result.ssl_id);
    }
  }
}

}  // namespace apig_certd::engine
