// AK/SK authentication: credentials are read once and cached (the secret key lives in a
// Secret, wiped when replaced), each request is signed with the clock's current time.
//
// On a 401 the credentials are read again: if an operator rotated the key pair or an STS
// token was refreshed on disk, the retry succeeds; if nothing changed, we say so and the
// caller does not waste a request.

#include "daemon/auth/aksk_authenticator.h"

#include <utility>

namespace apig_certd::auth {

AkSkAuthenticator::AkSkAuthenticator(SecretReader access_key, SecretReader secret_key,
                                     std::optional<SecretReader> security_token,
                                     std::string project_id, const Clock& clock)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      security_token_(std::move(security_token)),
      project_id_(std::move(project_id)),
      clock_(clock) {}

Result<Credentials> AkSkAuthenticator::read_credentials() const {
  Result<Secret> access_key = access_key_();
  if (!access_key) {
    return fail(std::move(access_key.error()));
  }
  Result<Secret> secret_key = secret_key_();
  if (!secret_key) {
    return fail(std::move(secret_key.error()));
  }
  Credentials credentials;
  credentials.access_key = std::string(access_key->view());
  credentials.secret_key = std::move(*secret_key);
  if (security_token_) {
    Result<Secret> token = (*security_token_)();
    if (!token) {
      return fail(std::move(token.error()));
    }
    credentials.security_token = std::move(*token);
  }
  return credentials;
}

Result<void> AkSkAuthenticator::authorize(http::Request& request) {
  const std::lock_guard lock(mutex_);
  if (!credentials_) {
    Result<Credentials> credentials = read_credentials();
    if (!credentials) {
      return fail(std::move(credentials.error()).with_context("reading the AK/SK credentials"));
    }
    credentials_ = std::move(*credentials);
  }
  std::vector<Header> headers;
  headers.reserve(request.headers.size());
  for (const http::Header& header : request.headers) {
    headers.push_back({header.name, header.value});
  }
  const std::string sdk_date = format_sdk_date(clock_.now());
  Result<SignedRequest> signed_request =
      sign(RequestToSign{request.method, request.url, headers, request.body.view(), sdk_date,
                         project_id_},
           *credentials_);
  if (!signed_request) {
    return fail(std::move(signed_request.error()).with_context("signing the request"));
  }
  request.headers.clear();
  for (Header& header : signed_request->headers) {
    request.headers.push_back({std::move(header.name), std::move(header.value)});
  }
  return {};
}

bool AkSkAuthenticator::refresh_after_unauthorized() {
  const std::lock_guard lock(mutex_);
  Result<Credentials> fresh = read_credentials();
  if (!fresh) {
    credentials_.reset();  // The next authorize() reports why they cannot be read.
    return false;
  }
  const bool changed =
      !credentials_ || fresh->access_key != credentials_->access_key ||
      fresh->secret_key.view() != credentials_->secret_key.view() ||
      fresh->security_token.has_value() != credentials_->security_token.has_value() ||
      (fresh->security_token &&
       fresh->security_token->view() != credentials_->security_token->view());
  credentials_ = std::move(*fresh);
  return changed;
}

}  // namespace apig_certd::auth
