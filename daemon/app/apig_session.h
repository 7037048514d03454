#pragma once

// ApigSession: the objects needed to talk to APIG, built from the settings: the
// authenticator of `[auth] method` (shared by every worker; it is thread-safe), its own
// transport for IAM, and one client per worker thread on request.

#include <atomic>
#include <memory>

#include "daemon/apig/client.h"
#include "daemon/auth/authenticator.h"
#include "daemon/core/clock.h"
#include "daemon/core/environment.h"
#include "daemon/http/transport.h"
#include "daemon/http/trust_store.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

class ApigSession {
 public:
  // Fails when the CA file cannot be read or curl cannot be set up. Credentials are read
  // lazily, on the first request.
  // `abort` (optional, must outlive the session): when it turns true, requests in flight are
  // cut off (http::TransportOptions::abort).
  static Result<std::unique_ptr<ApigSession>> create(const settings::Settings& config,
                                                     const Environment& environment,
                                                     const Clock& clock,
                                                     const std::atomic<bool>* abort = nullptr);

  // The session's own client (for single-threaded use).
  // NOLINTNEXTLINE(readability-make-member-function-const): a const session lends no mutable client
  apig::Client& client() { return *main_.client; }

  // A new client with its own transport, for one worker thread. The session must outlive it.
  Result<apig::ClientHandle> make_client();

 private:
  ApigSession(const settings::Settings& config, const std::atomic<bool>* abort)
      : config_(config), abort_(abort) {}

  const settings::Settings& config_;
  const std::atomic<bool>* abort_ = nullptr;
  std::shared_ptr<const http::TrustStore> trust_;  // shared by every transport below
  std::unique_ptr<http::Transport> iam_transport_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  apig::ClientHandle main_;
};

}  // namespace apig_certd::app
