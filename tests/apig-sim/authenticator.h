#pragma once

// Who may call the simulated APIG: static tokens, tokens issued by the simulated IAM, and
// AK/SK pairs (permanent, or temporary with a security token). Secrets are held in Secret
// values and never appear in an error message or the request log.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/core/secret.h"
#include "tests/apig-sim/http_types.h"

namespace apig_certd::sim {

struct AkSkCredential {
  std::string access_key;
  Secret secret_key;
  // Temporary credentials: X-Security-Token must be present and equal to this.
  std::optional<Secret> security_token;
};

struct IamUser {
  std::string domain_name;  // The account name.
  std::string user_name;
  Secret password;
};

struct Credentials {
  std::vector<Secret> tokens;  // Static X-Auth-Token values that never expire.
  std::vector<AkSkCredential> aksk;
  std::vector<IamUser> iam_users;
  std::chrono::seconds token_lifetime{86400};
};

struct IssuedToken {
  std::string token;
  SystemTime issued_at;
  SystemTime expires_at;
};

// Not thread-safe: the Simulator calls it under its mutex.
class Authenticator {
 public:
  explicit Authenticator(Credentials credentials) : credentials_(std::move(credentials)) {}

  // Checks the credentials of an APIG (/v2) request at `now`. nullopt when the caller is
  // authenticated; otherwise the 401 to answer with:
  //   APIG.1000 neither X-Auth-Token nor Authorization; APIG.1001 an IAM token that expired;
  //   APIG.1002 an unknown token; APIGW.0301 any AK/SK failure (malformed Authorization,
  //   unknown AK, X-Sdk-Date more than 15 minutes off, wrong signature, missing or wrong
  //   X-Security-Token for temporary credentials).
  std::optional<ApigError> check(const HttpRequest& request, SystemTime now) const;

  // How a request tries to authenticate, for the request log: "token", "aksk" or "none".
  static std::string_view method_of(const HttpRequest& request);

  // The IAM password method: a new token valid for token_lifetime, or nullopt when no user
  // has this account name, user name and password.
  std::optional<IssuedToken> issue_token(std::string_view domain_name, std::string_view user_name,
                                         std::string_view password, SystemTime now);

 private:
  std::optional<ApigError> check_token(std::string_view token, SystemTime now) const;
  std::optional<ApigError> check_signature(const HttpRequest& request, SystemTime now) const;
  const AkSkCredential* find_access_key(std::string_view access_key) const;

  Credentials credentials_;
  std::map<std::string, SystemTime, std::less<>> issued_;  // Token -> expiry.
};

}  // namespace apig_certd::sim
