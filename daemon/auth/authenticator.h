#pragma once

// Authenticator: how a request to APIG gets its credentials. One implementation per
// `[auth] method`: AK/SK signing, a static token file, an IAM password-issued token.
// The APIG client calls authorize() right before sending, and refresh_after_unauthorized()
// once when APIG answers 401, then retries once if it returned true.

#include <string_view>

#include "daemon/core/result.h"
#include "daemon/http/transport.h"

namespace apig_certd::auth {

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  Authenticator() = default;
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
  Authenticator(Authenticator&&) = delete;
  Authenticator& operator=(Authenticator&&) = delete;

  // Adds the authentication headers to a request that is complete otherwise (method, URL,
  // headers, body: a signature covers them, so nothing may change afterwards). Errors:
  // NotFound/PermissionDenied when a credential cannot be read, Unavailable/Timeout when a
  // token could not be fetched (retry), InvalidArgument when IAM refused the credentials.
  virtual Result<void> authorize(http::Request& request) = 0;

  // Called after a 401. Returns true when fresh credentials may fix it (a token was dropped
  // and will be fetched or re-read on the next authorize()), false when retrying is pointless.
  virtual bool refresh_after_unauthorized() = 0;

  // "aksk", "token" or "password", for messages.
  [[nodiscard]] virtual std::string_view method_name() const = 0;
};

}  // namespace apig_certd::auth
