#pragma once

// ApigSession: the objects needed to talk to APIG, built from the settings: a transport,
// the authenticator of `[auth] method` (with its own transport for IAM), and the client.
// The composition root for commands that go online (check --online, sync, run).

#include <memory>

#include "daemon/apig/client.h"
#include "daemon/auth/authenticator.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/http/transport.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

class ApigSession {
 public:
  // Fails when the CA file cannot be read or curl cannot be set up. Credentials are read
  // lazily, on the first request.
  static Result<std::unique_ptr<ApigSession>> create(const settings::Settings& config,
                                                     const Environment& environment,
                                                     const Clock& clock);

  apig::Client& client() { return *client_; }

 private:
  ApigSession() = default;

  std::unique_ptr<http::Transport> transport_;
  std::unique_ptr<http::Transport> iam_transport_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<apig::Client> client_;
};

}  // namespace apig_certd::app
