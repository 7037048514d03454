// IAM password authentication.
//
// The request body carries the password, so it is built straight into a Secret with the
// escaping writer (no JSON library copy). The token comes back in the X-Subject-Token
// header and its expiry in the body's token.expires_at; both are required, and a 201 without
// them is an error (never a token that silently never refreshes). The token is refreshed
// `refresh_margin` (one hour) before expires_at: REFERENCE.md §5 leaves the margin
// undocumented, and a token fetched early costs nothing.

#include "daemon/apig/iam_authenticator.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/apig/api_error.h"
#include "daemon/core/json_writer.h"
#include "daemon/core/time_format.h"

namespace apig_certd::apig {

namespace {

Secret token_request_body(const IamOptions& options, const Secret& password) {
  std::string body;
  body.reserve(6 * (options.user.size() + password.size() + options.domain.size() +
                    options.project_id.size()) +
               256);
  body += R"({"auth":{"identity":{"methods":["password"],"password":{"user":{"name":)";
  append_json_string(body, options.user);
  body += R"(,"password":)";
  append_json_string(body, password.view());
  body += R"(,"domain":{"name":)";
  append_json_string(body, options.domain);
  body += R"(}}}},"scope":{"project":{"id":)";
  append_json_string(body, options.project_id);
  body += "}}}}";
  return Secret(std::move(body));
}

Result<SystemTime> read_expiry(std::string_view body) {
  const nlohmann::json document = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return fail(ErrorCode::Unavailable, "IAM's token response is not JSON");
  }
  const auto token = document.find("token");
  if (token == document.end() || !token->is_object()) {
    return fail(ErrorCode::Unavailable, "IAM's token response has no 'token' object");
  }
  const auto expires_at = token->find("expires_at");
  if (expires_at == token->end() || !expires_at->is_string()) {
    return fail(ErrorCode::Unavailable, "IAM's token response has no string 'token.expires_at'");
  }
  Result<SystemTime> parsed = parse_utc_iso8601(expires_at->get<std::string>());
  if (!parsed) {
    return fail(ErrorCode::Unavailable,
                "IAM's token.expires_at is not a time: " + parsed.error().message());
  }
  return parsed;
}

}  // namespace

IamPasswordAuthenticator::IamPasswordAuthenticator(http::Transport& transport,
                                                   auth::SecretReader password, IamOptions options,
                                                   const Clock& clock)
    : transport_(transport),
      password_(std::move(password)),
      options_(std::move(options)),
      clock_(clock) {}

Result<IamPasswordAuthenticator::CachedToken> IamPasswordAuthenticator::fetch_token() {
  const std::string what =
      "getting an IAM token for user '" + options_.user + "' of account '" + options_.domain + "'";
  Result<Secret> password = password_();
  if (!password) {
    return fail(std::move(password.error()).with_context(what));
  }
  http::Request request;
  request.method = "POST";
  request.url = options_.iam_endpoint + "/v3/auth/tokens?nocatalog=true";
  request.headers.push_back({"Content-Type", "application/json;charset=utf8"});
  request.body = token_request_body(options_, *password);
  request.timeout = options_.timeout;
  Result<http::Response> response = transport_.send(request);
  if (!response) {
    return fail(std::move(response.error()).with_context(what));
  }
  if (response->status != 201 && response->status != 200) {
    Error error = api_error(what, *response);
    if (response->status == 401) {
      error.with_context("IAM refused the user name, account or password");
    }
    return fail(std::move(error));
  }
  std::optional<std::string> subject_token = response->header("X-Subject-Token");
  if (!subject_token || subject_token->empty()) {
    return fail(ErrorCode::Unavailable, what + ": IAM answered " +
                                            std::to_string(response->status) +
                                            " without an X-Subject-Token header");
  }
  Result<SystemTime> expires_at = read_expiry(response->body);
  if (!expires_at) {
    return fail(std::move(expires_at.error()).with_context(what));
  }
  ++tokens_fetched_;
  return CachedToken{Secret(std::move(*subject_token)), *expires_at};
}

Result<void> IamPasswordAuthenticator::authorize(http::Request& request) {
  const std::lock_guard lock(mutex_);
  if (!token_ || clock_.now() + options_.refresh_margin >= token_->expires_at) {
    Result<CachedToken> fresh = fetch_token();
    if (!fresh) {
      return fail(std::move(fresh.error()));
    }
    token_ = std::move(*fresh);
  }
  request.headers.push_back({"X-Auth-Token", std::string(token_->value.view())});
  return {};
}

bool IamPasswordAuthenticator::refresh_after_unauthorized() {
  const std::lock_guard lock(mutex_);
  token_.reset();
  return true;
}

int IamPasswordAuthenticator::tokens_fetched() const {
  const std::lock_guard lock(mutex_);
  return tokens_fetched_;
}

}  // namespace apig_certd::apig
