#pragma once

// IamPasswordAuthenticator: `[auth] method = "password"`. Fetches a project-scoped IAM
// token with the user's password (POST {iam}/v3/auth/tokens, REFERENCE.md §5), caches it in
// memory only, refreshes it `refresh_margin` before it expires and once after a 401.
//
// It lives in apig/ rather than auth/ because reading IAM's answer needs JSON, and only the
// cloud-facing layer includes a JSON library.

#include <mutex>
#include <optional>
#include <string>

#include "daemon/auth/authenticator.h"
#include "daemon/auth/secret_reader.h"
#include "daemon/core/clock.h"
#include "daemon/http/transport.h"

namespace apig_certd::apig {

struct IamOptions {
  std::string iam_endpoint;  // "https://iam.cn-north-4.myhuaweicloud.com", no trailing '/'
  std::string domain;        // account name
  std::string user;          // IAM user name
  std::string project_id;    // token scope
  Duration refresh_margin = std::chrono::hours(1);
  Duration timeout = std::chrono::seconds(30);
};

class IamPasswordAuthenticator final : public auth::Authenticator {
 public:
  // `transport` is used for IAM calls only and must outlive this object; calls are serialised.
  IamPasswordAuthenticator(http::Transport& transport, auth::SecretReader password,
                           IamOptions options, const Clock& clock);

  // Adds X-Auth-Token, fetching a token first when there is none or it is about to expire.
  // Errors: IAM refused the user (PermissionDenied, with IAM's message), IAM unreachable
  // (Unavailable/Timeout), the password could not be read.
  Result<void> authorize(http::Request& request) override;
  // Drops the cached token so the next authorize() fetches a new one; true unless a fresh
  // token was already fetched for this very failure.
  bool refresh_after_unauthorized() override;
  std::string_view method_name() const override { return "password"; }

  // How many tokens have been fetched (for tests and metrics).
  int tokens_fetched() const;

 private:
  struct CachedToken {
    Secret value;
    SystemTime expires_at;
  };
  Result<CachedToken> fetch_token();

  http::Transport& transport_;
  auth::SecretReader password_;
  IamOptions options_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::optional<CachedToken> token_;  // Guarded by mutex_.
  int tokens_fetched_ = 0;            // Guarded by mutex_.
};

}  // namespace apig_certd::apig
