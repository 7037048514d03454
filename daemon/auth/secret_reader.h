#pragma once

// SecretReader: how an authenticator gets a credential, without knowing where it lives (a
// file, an environment variable, a systemd credential). The app composes it from the
// settings' SecretSource; tests pass a lambda.

#include <functional>

#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::auth {

using SecretReader = std::function<Result<Secret>()>;

}  // namespace apig_certd::auth
