#include "tests/apig-sim/checked_upload.h"

namespace apig_certd::sim {

CheckedUpload check_upload_body(std::string_view body, SystemTime now) {
  CheckedUpload checked{read_upload(body), std::nullopt, now};
  if (checked.upload) {
    checked.facts =
        check_upload(checked.upload->cert_content, checked.upload->private_key, {}, now);
  }
  return checked;
}

tl::expected<CertificateFacts, ApigError> facts_for_domains(const CheckedUpload& checked,
                                                            std::span<const std::string> domains) {
  if (checked.facts && *checked.facts && !first_uncovered((*checked.facts)->san, domains)) {
    return **checked.facts;
  }
  return check_upload(checked.upload->cert_content, checked.upload->private_key, domains,
                      checked.now);
}

}  // namespace apig_certd::sim
