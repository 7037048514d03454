// Builds the APIG client stack from the settings.
//
// Each secret source becomes a SecretReader that reads it when the authenticator asks (first
// request, or after a 401), so a rotated key file is picked up without a restart. The IAM
// token fetch gets its own transport: the authenticator may be called while the APIG
// transport is between requests of the same worker, and transports are not re-entrant.
// Every transport of the session shares one trust store (the system CAs and apig.ca_file,
// parsed once per session instead of once per TLS connection).

#include "daemon/app/apig_session.h"

#include "daemon/apig/iam_authenticator.h"
#include "daemon/auth/aksk_authenticator.h"
#include "daemon/auth/token_authenticator.h"
#include "daemon/core/check.h"
#include "daemon/http/curl_transport.h"
#include "daemon/http/trust_store.h"

namespace apig_certd::app {

namespace {

auth::SecretReader reader_for(const settings::SecretSource& source,
                              const Environment& environment) {
  return [source, environment] { return settings::read_secret(source, environment); };
}

Result<std::unique_ptr<http::Transport>> make_transport(
    const settings::Settings& config, const std::atomic<bool>* abort,
    const std::shared_ptr<const http::TrustStore>& trust) {
  http::TransportOptions options;
  options.abort = abort;
  options.trust = trust;
  options.timeout = config.apig.timeout;
  options.allow_http =
      config.apig.insecure_http ? http::AllowHttp::LoopbackOnly : http::AllowHttp::No;
  Result<std::unique_ptr<http::CurlTransport>> transport = http::CurlTransport::create(options);
  if (!transport) {
    return fail(std::move(transport.error()));
  }
  return std::unique_ptr<http::Transport>(std::move(*transport));
}

}  // namespace

Result<std::unique_ptr<ApigSession>> ApigSession::create(const settings::Settings& config,
                                                         const Environment& environment,
                                                         const Clock& clock,
                                                         const std::atomic<bool>* abort) {
  std::unique_ptr<ApigSession> session(new ApigSession(config, abort));
  Result<std::shared_ptr<const http::TrustStore>> trust =
      http::TrustStore::load(config.apig.ca_file);
  if (!trust) {
    return fail(std::move(trust.error()));
  }
  session->trust_ = std::move(*trust);

  const settings::AuthSettings& auth = config.auth;
  switch (auth.method) {
    case settings::AuthMethod::AkSk: {
      APIG_CERTD_CHECK(auth.access_key && auth.secret_key, "the loader guarantees AK/SK sources");
      std::optional<auth::SecretReader> security_token;
      if (auth.security_token) {
        security_token = reader_for(*auth.security_token, environment);
      }
      session->authenticator_ = std::make_unique<auth::AkSkAuthenticator>(
          reader_for(*auth.access_key, environment), reader_for(*auth.secret_key, environment),
          std::move(security_token), config.apig.project_id, clock);
      break;
    }
    case settings::AuthMethod::Token: {
      APIG_CERTD_CHECK(auth.token.has_value(), "the loader guarantees a token source");
      const std::filesystem::path watched =
          auth.token->kind == settings::SecretSource::Kind::Environment ? std::filesystem::path()
                                                                        : auth.token->path;
      session->authenticator_ =
          std::make_unique<auth::TokenAuthenticator>(reader_for(*auth.token, environment), watched);
      break;
    }
    case settings::AuthMethod::Password: {
      APIG_CERTD_CHECK(auth.password.has_value(), "the loader guarantees a password source");
      Result<std::unique_ptr<http::Transport>> iam_transport =
          make_transport(config, abort, session->trust_);
      if (!iam_transport) {
        return fail(std::move(iam_transport.error()));
      }
      session->iam_transport_ = std::move(*iam_transport);
      session->authenticator_ = std::make_unique<apig::IamPasswordAuthenticator>(
          *session->iam_transport_, reader_for(*auth.password, environment),
          apig::IamOptions{auth.iam_endpoint, auth.domain, auth.user, config.apig.project_id,
                           std::chrono::hours(1), config.apig.timeout},
          clock);
      break;
    }
  }
  Result<apig::ClientHandle> main = session->make_client();
  if (!main) {
    return fail(std::move(main.error()));
  }
  session->main_ = std::move(*main);
  return session;
}

Result<apig::ClientHandle> ApigSession::make_client() {
  Result<std::unique_ptr<http::Transport>> transport = make_transport(config_, abort_, trust_);
  if (!transport) {
    return fail(std::move(transport.error()));
  }
  apig::ClientHandle handle;
  handle.transport = std::move(*transport);
  handle.client = std::make_unique<apig::Client>(
      *handle.transport, *authenticator_,
      apig::ClientOptions{config_.apig.endpoint, config_.apig.project_id, config_.apig.timeout});
  return handle;
}

}  // namespace apig_certd::app
