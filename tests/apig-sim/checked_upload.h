#pragma once

// An upload (the body of a bind POST or a certificate PUT) read and checked before the
// simulator takes its lock. Parsing the PEM and matching the key are nearly all of a bind's
// cost; under the one lock that guards the model they made concurrent binds wait for each
// other, which real APIG does not do (a 1,000-target sync spent seconds queued there). What
// needs the model (the domain, whether it exists, what it is bound to) is still decided under
// the lock, so the responses and their order of checks are exactly as before.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "daemon/core/clock.h"
#include "tests/apig-sim/certificate_check.h"
#include "tests/apig-sim/http_types.h"
#include "tests/apig-sim/upload.h"

namespace apig_certd::sim {

struct CheckedUpload {
  tl::expected<Upload, ApigError> upload;
  // check_upload() against no domain, once the upload was read.
  std::optional<tl::expected<CertificateFacts, ApigError>> facts;
  SystemTime now{};
};

// read_upload(body), then check_upload(..., no domains, now). Pure; safe on any thread.
CheckedUpload check_upload_body(std::string_view body, SystemTime now);

// The result check_upload(cert, key, domains, now) gives for the upload: the facts checked in
// advance when they passed and their SANs cover every domain; otherwise check_upload() again
// with the domains, so a failure is the first one in APIG's order (a domain not covered,
// APIG.2103, comes before a chain out of order). `checked.upload` must hold an Upload.
tl::expected<CertificateFacts, ApigError> facts_for_domains(const CheckedUpload& checked,
                                                            std::span<const std::string> domains);

}  // namespace apig_certd::sim
