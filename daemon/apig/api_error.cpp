// APIG error responses -> Error values with a hint.
//
// The hints are the sentence an operator needs at 3 a.m.: what the code means for *this*
// tool and what to do. Codes come from REFERENCE.md §4 (APIG's error-code appendix); messages
// change, codes do not, so decisions look only at the code.

#include "daemon/apig/api_error.h"

#include <array>
#include <utility>

#include "daemon/apig/response_parser.h"

namespace apig_certd::apig {

namespace {

struct Hint {
  std::string_view code;
  std::string_view text;
};

constexpr std::array<Hint, 39> kHints{{
    {"APIG.1000", "no token was sent: check the [auth] configuration"},
    {"APIG.1001",
     "the token has expired: apig-certd fetches a new one for password auth; for token_file, "
     "refresh the file"},
    {"APIG.1002", "the token is incorrect or cannot be parsed: check token_file or the IAM user"},
    {"APIG.1003",
     "the token has no project scope: use a project-scoped token for [apig] project_id"},
    {"APIG.1005",
     "the credentials lack permission for this call: grant the IAM user APIG certificate and "
     "domain permissions"},
    {"APIG.1007",
     "the credential carries no account (IAM domain): with password auth set [auth] domain to "
     "the account name; a token must be a user token of that account"},
    {"APIG.1008",
     "APIG does not recognise the credential's account (IAM domain): check [auth] domain, the "
     "region, and that the access key or token belongs to this account"},
    {"APIG.1101", "no permission on this API group: grant the IAM user access to it"},
    {"APIG.1115", "no permission on this certificate: grant the IAM user access to it"},
    {"APIG.1301", "no permission on this domain: grant the IAM user access to it"},
    {"APIG.2001",
     "a required parameter is missing (this is a bug in apig-certd: please report it)"},
    {"APIG.2012",
     "a parameter is invalid: check cert_name (letters, digits and '_', 4-50 characters, starting "
     "with a letter)"},
    {"APIG.2023",
     "the domain does not resolve to the gateway: a CNAME record to the group's subdomain (shared "
     "gateway, ROMA), or an A record to the instance's ingress address (dedicated gateway)"},
    {"APIG.2029", "the domain already has a default certificate"},
    {"APIG.2051", "the domain already has a different certificate bound"},
    {"APIG.2101",
     "the private key does not belong to the certificate: check that cert and key come from the "
     "same renewal"},
    {"APIG.2102", "the certificate has expired: renew it with your ACME client"},
    {"APIG.2103",
     "the certificate does not cover this domain: add the domain to the certificate's SANs"},
    {"APIG.2104",
     "the chain is out of order: the server certificate must come first, then each issuer"},
    {"APIG.2105", "the private key is encrypted: APIG needs an unencrypted key"},
    {"APIG.2106", "the certificate or private key is not valid PEM"},
    {"APIG.2109", "the certificate has no subjectAltName: reissue it with the domain as a SAN"},
    {"APIG.3001", "the API group does not exist: check group_id"},
    {"APIG.3020",
     "the domain is not bound to this API group: check the target's domain or domain_id and "
     "group_id"},
    {"APIG.3021", "the certificate does not exist (it may have been deleted in the console)"},
    {"APIG.3025", "the certificate does not exist (it may have been deleted in the console)"},
    {"APIG.3030", "the gateway instance does not exist: check instance_id and the region"},
    {"APIG.3097", "the certificate is not bound to this domain any more"},
    {"APIG.3148",
     "the certificate expires after 2038-01-19T03:14:07Z, which APIG cannot store: reissue it with "
     "a shorter validity"},
    {"APIG.3305", "the domain name already exists in another API group or on another gateway"},
    {"APIG.3325",
     "an object of this name exists already: apig-certd's names carry the certificate's "
     "fingerprint, so an object of that name on the same instance is this certificate and is "
     "used"},
    {"APIG.3474", "the domain belongs to another API group: check group_id"},
    {"APIG.3708",
     "the certificate's key usage does not suit the domain: a server certificate needs "
     "digitalSignature (and keyEncipherment for RSA) with serverAuth"},
    {"APIG.3709",
     "the certificate's signature algorithm does not match the domain's other certificates or "
     "the slot of its key: check the key type of this lineage"},
    {"APIG.3711", "APIG allows this change once per minute: apig-certd retries later"},
    {"APIG.3715",
     "the domain's certificates must carry CAs of one algorithm type: client_ca must match the "
     "key algorithm of the CA already trusted"},
    {"APIG.9008",
     "APIG is throttling requests: apig-certd retries with backoff (lower [daemon] concurrency if "
     "it persists)"},
    {"APIG.9999", "APIG had an internal error: apig-certd retries with backoff"},
    {"APIGW.0301",
     "signature rejected: check the access key / secret key pair and the system clock (APIG allows "
     "15 minutes of skew)"},
}};

}  // namespace

std::string_view hint_for(std::string_view error_code) {
  for (const Hint& hint : kHints) {
    if (hint.code == error_code) {
      return hint.text;
    }
  }
  return {};
}

ErrorCode classify_status(long http_status, std::string_view error_code) {
  if (http_status == 429 || http_status >= 500 || error_code == "APIG.9008" ||
      error_code == "APIG.3711" || error_code == "APIG.3718") {
    return ErrorCode::Unavailable;
  }
  if (http_status == 401 || http_status == 403) {
    return ErrorCode::PermissionDenied;
  }
  if (http_status == 404) {
    return ErrorCode::NotFound;
  }
  return ErrorCode::InvalidArgument;
}

namespace {

// Retry-After in whole seconds (the HTTP-date form is not used by APIG); nullopt otherwise.
std::optional<Duration> parse_retry_after(std::string_view value) {
  if (value.empty() || value.size() > 6 ||
      value.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  return std::chrono::seconds(std::stol(std::string(value)));
}

}  // namespace

Error api_error(std::string_view what, const http::Response& response) {
  const ErrorBody body = parse_error_body(response.body);
  std::string request_id = body.request_id;
  if (request_id.empty()) {
    request_id = response.header("X-Request-Id").value_or("");
  }
  std::string message =
      std::string(what) + ": APIG answered HTTP " + std::to_string(response.status);
  if (!body.error_code.empty()) {
    message += " " + body.error_code;
  }
  if (!body.error_msg.empty()) {
    message += " \"" + body.error_msg.substr(0, 300) + "\"";
  }
  const std::string_view hint = hint_for(body.error_code);
  if (!hint.empty()) {
    message += ": ";
    message += hint;
  } else if (response.status == 429 || response.status >= 500) {
    message += ": retrying with backoff";
  }
  if (!request_id.empty()) {
    message += " (request id " + request_id + ")";
  }
  Error error(classify_status(response.status, body.error_code), std::move(message));
  error.with_field("http_status", std::to_string(response.status));
  if (!body.error_code.empty()) {
    error.with_field("apig_error_code", body.error_code);
    error.with_field("apig_error_msg", body.error_msg);
  }
  if (!request_id.empty()) {
    error.with_field("request_id", request_id);
  }
  RemoteAnswer answer{response.status, body.error_code, std::nullopt};
  if (const std::optional<std::string> retry_after = response.header("Retry-After")) {
    error.with_field("retry_after", *retry_after);
    answer.retry_after = parse_retry_after(*retry_after);
  }
  return std::move(error).with_remote(std::move(answer));
}

ApigError apig_error(const Error& error) {
  if (!error.remote()) {
    return ApigError::None;
  }
  const std::string& code = error.remote()->service_code;
  if (code == "APIG.2051") {
    return ApigError::DomainHasCertificate;
  }
  if (code == "APIG.3325") {
    return ApigError::NameExists;
  }
  return code == "APIG.1005" ? ApigError::NoPermission : ApigError::Other;
}

bool outcome_unknown(const Error& error) {
  if (!error.remote()) {
    return error.code() == ErrorCode::Timeout || error.code() == ErrorCode::Unavailable;
  }
  return error.remote()->http_status >= 500;
}

}  // namespace apig_certd::apig
