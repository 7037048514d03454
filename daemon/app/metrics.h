#pragma once

// The Prometheus textfile (`daemon.metrics_file`, for node_exporter's textfile collector),
// written atomically after every pass of `sync`, `hook` and `run`. Every target in the state
// is listed, not only those of the last pass. Names follow x509-certificate-exporter and
// cert-manager:
//
//   apig_certd_up                                             1 when the last pass could read APIG
//   apig_certd_certificate_not_after_timestamp_seconds{...}   the certificate on disk
//   apig_certd_bound_certificate_not_after_timestamp_seconds  what is bound
//   apig_certd_target_in_sync{...}                            1 bound and resolved, else 0
//   apig_certd_certificate_expiring{...}                      1 inside renew_warning
//   apig_certd_cname_status{...}                              APIG's 1..4 (0 unknown)
//   apig_certd_bind_total{...,result="success"|"failure"}     writes, counted over restarts
//   apig_certd_consecutive_failures{...}
//   apig_certd_last_success_timestamp_seconds{...}
//   apig_certd_last_pass_timestamp_seconds
//
// Labels: binding, domain (or "id:DOMAIN_ID"), instance_id, group_id. No secret is ever a
// label or value.

#include <filesystem>
#include <string>

#include "daemon/core/clock.h"
#include "daemon/core/result.h"
#include "daemon/settings/settings.h"
#include "daemon/state/state.h"

namespace apig_certd::app {

std::string render_metrics(const settings::Settings& config, const state::State& state,
                           bool apig_reachable, SystemTime now);

// render_metrics() written to daemon.metrics_file atomically (mode 0644); nothing when the
// setting is empty.
Result<void> write_metrics(const settings::Settings& config, const state::State& state,
                           bool apig_reachable, SystemTime now);

}  // namespace apig_certd::app
