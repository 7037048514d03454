#pragma once

// Strategy "attach", its first step: the one certificate object of a renewal on one gateway
// instance (REFERENCE.md §2.9), which bind.h then attaches to each target's domain.
//
//   Create ──ok──────────────────────────────────────────────────────────> Done (created)
//     │ APIG.3325 (the name exists) ──> Find: that object -> Done (found); none -> Failed
//     │ transient ──> BackOff ──> (outcome unknown ? Find first : Create)
//     │ other error ──> Failed
//
// Our names carry the certificate's fingerprint ("{cert_name}_YYYYMMDD_hhhhhhhh"), so an
// instance object of that name is this certificate, left by an earlier pass whose attaches
// failed, or by another apig-certd: it is used, never created twice. Whether APIG refuses a
// second object of one name is not documented (REFERENCE.md §13 item 4), so a create whose
// outcome is unknown looks the name up before it is sent again, whatever APIG would answer.

#include <optional>
#include <string>

#include "daemon/apig/client.h"
#include "daemon/core/error.h"
#include "daemon/engine/retry.h"

namespace apig_certd::engine {

struct ObjectJob {
  std::string instance_id;
  std::string algorithm_type;  // "RSA", "ECC", "SM2", or "" to leave it to APIG
};

struct ObjectResult {
  std::string id;              // the object's id; empty when it failed
  bool created = false;        // this call created it (false: an existing one was found)
  std::optional<Error> error;  // why there is none
  int requests = 0;            // API requests made
  int writes = 0;              // of which creates
};

// The object named `upload.name` on `job.instance_id`, created when there is none yet.
ObjectResult ensure_certificate_object(const ObjectJob& job, const apig::CertificateUpload& upload,
                                       apig::Client& client, RetryBudget& retry);

}  // namespace apig_certd::engine
