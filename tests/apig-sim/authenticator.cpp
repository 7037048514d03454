// Authentication of simulated APIG calls.
//
// Tokens are compared in constant time against the static list, then looked up among the
// IAM-issued ones (which expire). AK/SK requests are verified with the daemon's own verifier
// (daemon/auth/aksk_signer.h). Sharing it is deliberate and safe in one direction only: the
// verifier is pinned to Huawei's published test vectors by its unit tests, so a signer bug
// that the verifier shares would still fail those vectors.
//
// Temporary AK/SK must also present X-Security-Token; the Go SDK signs it, but APIG's
// documentation only says it must be sent, so presence and value are what is checked.

#include "tests/apig-sim/authenticator.h"

#include <algorithm>

#include <openssl/rand.h>

#include "daemon/auth/aksk_signer.h"
#include "daemon/core/check.h"
#include "daemon/core/hex.h"
#include "daemon/crypto/digest.h"

namespace apig_certd::sim {

namespace {

constexpr std::string_view kSignatureFailure = "Incorrect IAM authentication information: ";

ApigError unauthorized(std::string code, std::string message) {
  return ApigError{401, std::move(code), std::move(message)};
}

std::string signature_failure_message(const Error& error) {
  switch (error.code()) {
    case ErrorCode::NotFound:
      return std::string(kSignatureFailure) + "ak not found";
    case ErrorCode::Timeout:
      return std::string(kSignatureFailure) + "calc ak sk signature fail:signature expired";
    case ErrorCode::PermissionDenied:
      return std::string(kSignatureFailure) + "verify aksk signature fail, " + error.message();
    default:
      return std::string(kSignatureFailure) + "Authorization header invalid: " + error.message();
  }
}

std::string new_token() {
  std::array<unsigned char, 48> bytes{};
  APIG_CERTD_CHECK(RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) == 1,
                   "RAND_bytes failed");
  return "MIIsim" + hex_lower(bytes);
}

}  // namespace

std::optional<ApigError> Authenticator::check(const HttpRequest& request, SystemTime now) const {
  if (const auto token = request.header("X-Auth-Token")) {
    return check_token(*token, now);
  }
  if (request.header("Authorization")) {
    return check_signature(request, now);
  }
  return unauthorized("APIG.1000",
                      "Incorrect IAM authentication information: the request has "
                      "neither X-Auth-Token nor an AK/SK signature");
}

std::string_view Authenticator::method_of(const HttpRequest& request) {
  if (request.header("X-Auth-Token")) {
    return "token";
  }
  if (request.header("Authorization")) {
    return "aksk";
  }
  return "none";
}

std::optional<ApigError> Authenticator::check_token(std::string_view token, SystemTime now) const {
  const bool is_static = std::any_of(
      credentials_.tokens.begin(), credentials_.tokens.end(),
      [&](const Secret& known) { return crypto::equal_constant_time(known.view(), token); });
  if (is_static) {
    return std::nullopt;
  }
  const auto issued = issued_.find(token);
  if (issued == issued_.end()) {
    return unauthorized("APIG.1002", "Incorrect token or token resolution failed");
  }
  if (issued->second <= now) {
    return unauthorized("APIG.1001", "The token must be updated");
  }
  return std::nullopt;
}

std::optional<ApigError> Authenticator::check_signature(const HttpRequest& request,
                                                        SystemTime now) const {
  const auth::ReceivedRequest received{
      .method = request.method,
      .path = request.raw_path,
      .raw_query = request.raw_query,
      .headers = request.headers,
      .body = request.body,
  };
  const auth::SecretKeyLookup lookup =
      [this](std::string_view access_key) -> std::optional<Secret> {
    const AkSkCredential* credential = find_access_key(access_key);
    return credential != nullptr ? std::optional<Secret>(credential->secret_key) : std::nullopt;
  };
  if (auto verified = auth::verify(received, lookup, now); !verified) {
    return unauthorized("APIGW.0301", signature_failure_message(verified.error()));
  }
  // verify() succeeded, so the Authorization header names a known access key.
  const std::string authorization = request.header("Authorization").value_or("");
  const auto access_begin = authorization.find("Access=");
  const auto access_end = authorization.find(',', access_begin);
  const std::string access_key =
      access_begin == std::string::npos
          ? std::string()
          : authorization.substr(access_begin + 7, access_end - access_begin - 7);
  const AkSkCredential* credential = find_access_key(access_key);
  if (credential != nullptr && credential->security_token) {
    const auto presented = request.header("X-Security-Token");
    if (!presented ||
        !crypto::equal_constant_time(credential->security_token->view(), *presented)) {
      return unauthorized("APIGW.0301", std::string(kSignatureFailure) +
                                            "the security token is missing or invalid");
    }
  }
  return std::nullopt;
}

const AkSkCredential* Authenticator::find_access_key(std::string_view access_key) const {
  const auto found = std::find_if(
      credentials_.aksk.begin(), credentials_.aksk.end(),
      [&](const AkSkCredential& credential) { return credential.access_key == access_key; });
  return found == credentials_.aksk.end() ? nullptr : &*found;
}

std::optional<IssuedToken> Authenticator::issue_token(std::string_view domain_name,
                                                      std::string_view user_name,
                                                      std::string_view password, SystemTime now) {
  const bool known = std::any_of(
      credentials_.iam_users.begin(), credentials_.iam_users.end(), [&](const IamUser& user) {
        return user.domain_name == domain_name && user.user_name == user_name &&
               crypto::equal_constant_time(user.password.view(), password);
      });
  if (!known) {
    return std::nullopt;
  }
  IssuedToken issued{new_token(), now, now + credentials_.token_lifetime};
  issued_.emplace(issued.token, issued.expires_at);
  return issued;
}

}  // namespace apig_certd::sim
