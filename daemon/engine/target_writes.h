#pragma once

// The writes of a pass beyond one bind per target (reconciler.cpp calls them):
// - the client_ca an mTLS write carries, read at each write;
// - strategy "attach": the one certificate object of a binding on one instance
//   (certificate_object.h), made before its targets' attaches;
// - a domain listed once per custom inbound port: its other entries, confirmed on a re-read
//   and written the same way where they do not serve the certificate yet.

#include <string>
#include <vector>

#include "daemon/apig/client.h"
#include "daemon/core/result.h"
#include "daemon/engine/bind.h"
#include "daemon/engine/observe.h"
#include "daemon/engine/outcome.h"
#include "daemon/engine/retry.h"
#include "daemon/engine/worker_pool.h"
#include "daemon/settings/settings.h"

namespace apig_certd::engine {

// The target's client_ca (CA bundles change rarely, and only mTLS targets have one): a regular
// file of at most 1 MiB holding a PEM certificate; "" when the target has none.
Result<std::string> read_client_ca(const settings::TargetSettings& target);

struct AttachObjects {
  std::vector<std::string> ids;  // per due run: its object's id ("" for none)
  int requests = 0;
  int writes = 0;
};

// The objects of every binding and instance with an attach due in `due`, one per pair, made in
// parallel on `pool`. A run whose object could not be made gets its write's error instead.
AttachObjects make_attach_objects(const Observation& observation,
                                  const std::vector<TargetRun*>& due, WorkerPool& pool,
                                  RetryBudget& retry);

// Once `run` wrote (or already served) the certificate on the first entry of its domain: reads
// the group again and writes each other port entry that does not serve it yet, as `job` with
// that entry's id, never deleting an object (on an APIG whose entries share their
// certificates, none is written). A failed entry fails the write, naming the entry.
void write_port_entries(TargetRun& run, const BindJob& job, const apig::CertificateUpload& upload,
                        apig::Client& client, RetryBudget& retry);

}  // namespace apig_certd::engine
