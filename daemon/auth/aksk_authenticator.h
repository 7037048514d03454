#pragma once

// AkSkAuthenticator: signs every request with SDK-HMAC-SHA256 (aksk_signer.h).

#include <mutex>
#include <optional>
#include <string>

#include "daemon/auth/aksk_signer.h"
#include "daemon/auth/authenticator.h"
#include "daemon/auth/secret_reader.h"
#include "daemon/core/clock.h"

namespace apig_certd::auth {

class AkSkAuthenticator final : public Authenticator {
 public:
  // The readers are called on first use and again after a 401; `security_token` is empty
  // unless the credentials are temporary. `project_id` is sent and signed as X-Project-Id.
  AkSkAuthenticator(SecretReader access_key, SecretReader secret_key,
                    std::optional<SecretReader> security_token, std::string project_id,
                    const Clock& clock);

  // Signs the request with the current time. Errors: reading a credential failed, or the
  // request cannot be signed (InvalidArgument).
  Result<void> authorize(http::Request& request) override;
  // Re-reads the credentials; true when they changed (rotated keys, a refreshed STS token),
  // so retrying may succeed. With the same keys a retry would fail the same way.
  bool refresh_after_unauthorized() override;
  [[nodiscard]] std::string_view method_name() const override { return "aksk"; }

 private:
  [[nodiscard]] Result<Credentials> read_credentials() const;

  SecretReader access_key_;
  SecretReader secret_key_;
  std::optional<SecretReader> security_token_;
  std::string project_id_;
  const Clock& clock_;
  std::mutex mutex_;                        // Workers share one authenticator.
  std::optional<Credentials> credentials_;  // Guarded by mutex_.
};

}  // namespace apig_certd::auth
