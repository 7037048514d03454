// The APIG client.
//
// Every call goes through call(): build the request, let the authenticator sign it, send it,
// and turn anything but a 2xx into an Error (api_error.h). A 401 gets one second chance when
// the authenticator says fresh credentials may help (an IAM token that expired early). The
// bodies that carry a private key are built as Secrets and never logged; the URL in errors
// has no query string. Path segments are percent-encoded, because IDs come from the config.

#include "daemon/apig/client.h"

#include <utility>

#include "daemon/apig/api_error.h"
#include "daemon/apig/response_parser.h"
#include "daemon/auth/canonical_request.h"
#include "daemon/core/json_writer.h"

namespace apig_certd::apig {

namespace {

Secret upload_body(const CertificateUpload& upload) {
  const std::string_view key =
      upload.private_key_pem != nullptr ? upload.private_key_pem->view() : std::string_view();
  return write_json_object(
      {{"name", upload.name}, {"cert_content", upload.certificate_pem}, {"private_key", key}});
}

// The create/update body of the certificate APIs: the upload plus what the object is.
Secret object_body(const CertificateUpload& upload, const Certificate& current) {
  const std::string_view key =
      upload.private_key_pem != nullptr ? upload.private_key_pem->view() : std::string_view();
  std::vector<std::pair<std::string_view, std::string_view>> fields{
      {"name", upload.name}, {"cert_content", upload.certificate_pem}, {"private_key", key}};
  if (!current.type.empty()) {
    fields.emplace_back("type", current.type);
  }
  if (current.type == "instance" && !current.instance_id.empty()) {
    fields.emplace_back("instance_id", current.instance_id);
  }
  if (!current.algorithm_type.empty()) {
    fields.emplace_back("algorithm_type", current.algorithm_type);
  }
  if (!upload.trusted_root_ca.empty()) {
    fields.emplace_back("trusted_root_ca", upload.trusted_root_ca);
  }
  return write_json_object(fields);
}

template <typename T>
Result<T> with_what(Result<T> result, std::string_view what) {
  if (!result) {
    return fail(std::move(result.error()).with_context(std::string(what)));
  }
  return result;
}

// {"certificate_ids":[id]}, the body of attach and detach by domain.
Secret certificate_ids_body(std::string_view certificate_id, bool verify_clients) {
  std::string body = R"({"certificate_ids":[)";
  append_json_string(body, certificate_id);
  body += "]";
  if (verify_clients) {
    body += R"(,"verified_client_certificate_enabled":true)";
  }
  body += "}";
  return Secret(std::move(body));
}

}  // namespace

Client::Client(http::Transport& transport, auth::Authenticator& authenticator,
               ClientOptions options)
    : transport_(transport), authenticator_(authenticator), options_(std::move(options)) {}

std::string Client::project_path() const {
  return "/v2/" + auth::uri_encode(options_.project_id) + "/apigw";
}

std::string Client::group_path(std::string_view instance_id, std::string_view group_id) const {
  return project_path() + "/instances/" + auth::uri_encode(instance_id) + "/api-groups/" +
         auth::uri_encode(group_id);
}

Result<http::Response> Client::call(std::string method, const std::string& path,
                                    const std::string& query, Secret body, std::string_view what) {
  http::Request request;
  request.method = std::move(method);
  request.url = options_.endpoint + path + (query.empty() ? "" : "?" + query);
  request.timeout = options_.timeout;
  if (!body.empty()) {
    request.headers.push_back({"Content-Type", "application/json"});
  }
  // error_msg in English: it is logged and matched by people searching the docs.
  request.headers.push_back({"X-Language", "en-us"});
  request.body = std::move(body);
  const std::vector<http::Header> base_headers = request.headers;

  for (int attempt = 0; attempt < 2; ++attempt) {
    request.headers = base_headers;
    Result<void> authorized = authenticator_.authorize(request);
    if (!authorized) {
      return fail(std::move(authorized.error()).with_context(std::string(what)));
    }
    Result<http::Response> response = transport_.send(request);
    if (!response) {
      return fail(std::move(response.error()).with_context(std::string(what)));
    }
    if (response->status >= 200 && response->status < 300) {
      return response;
    }
    Error error = api_error(what, *response);
    // A 401 may be a token that expired early: one fresh token, once. APIG.1005 is a missing
    // permission, which a new token does not bring.
    if (response->status == 401 && attempt == 0 && apig_error(error) != ApigError::NoPermission &&
        authenticator_.refresh_after_unauthorized()) {
      continue;
    }
    return fail(std::move(error));
  }
  return fail(ErrorCode::Internal, std::string(what) + ": unreachable");
}

Result<Group> Client::get_group(std::string_view instance_id, std::string_view group_id) {
  const std::string what = "reading API group '" + std::string(group_id) + "'";
  Result<http::Response> response =
      call("GET", group_path(instance_id, group_id), "", Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_group(response->body), what);
}

Result<BoundDomain> Client::bind_certificate(std::string_view instance_id,
                                             std::string_view group_id, std::string_view domain_id,
                                             const CertificateUpload& upload) {
  const std::string what = "binding certificate '" + std::string(upload.name) + "' to domain '" +
                           std::string(domain_id) + "'";
  Result<http::Response> response = call("POST",
                                         group_path(instance_id, group_id) + "/domains/" +
                                             auth::uri_encode(domain_id) + "/certificate",
                                         "", upload_body(upload), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_bound_domain(response->body), what);
}

Result<void> Client::delete_bound_certificate(std::string_view instance_id,
                                              std::string_view group_id, std::string_view domain_id,
                                              std::string_view certificate_id) {
  const std::string what = "deleting certificate '" + std::string(certificate_id) +
                           "' bound to domain '" + std::string(domain_id) + "'";
  Result<http::Response> response =
      call("DELETE",
           group_path(instance_id, group_id) + "/domains/" + auth::uri_encode(domain_id) +
               "/certificate/" + auth::uri_encode(certificate_id),
           "", Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return {};
}

Result<void> Client::detach_certificate(std::string_view instance_id, std::string_view group_id,
                                        std::string_view domain_id,
                                        std::string_view certificate_id) {
  const std::string what = "detaching certificate '" + std::string(certificate_id) +
                           "' from domain '" + std::string(domain_id) + "'";
  Result<http::Response> response = call("POST",
                                         group_path(instance_id, group_id) + "/domains/" +
                                             auth::uri_encode(domain_id) + "/certificates/detach",
                                         "", certificate_ids_body(certificate_id, false), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return {};
}

Result<void> Client::attach_certificate(std::string_view instance_id, std::string_view group_id,
                                        std::string_view domain_id, std::string_view certificate_id,
                                        bool verify_clients) {
  const std::string what = "attaching certificate '" + std::string(certificate_id) +
                           "' to domain '" + std::string(domain_id) + "'";
  Result<http::Response> response =
      call("POST",
           group_path(instance_id, group_id) + "/domains/" + auth::uri_encode(domain_id) +
               "/certificates/attach",
           "", certificate_ids_body(certificate_id, verify_clients), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return {};
}

Result<Certificate> Client::get_bound_certificate(std::string_view instance_id,
                                                  std::string_view group_id,
                                                  std::string_view domain_id,
                                                  std::string_view certificate_id) {
  const std::string what = "reading certificate '" + std::string(certificate_id) + "' of domain '" +
                           std::string(domain_id) + "'";
  Result<http::Response> response =
      call("GET",
           group_path(instance_id, group_id) + "/domains/" + auth::uri_encode(domain_id) +
               "/certificate/" + auth::uri_encode(certificate_id),
           "", Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_certificate(response->body), what);
}

Result<Certificate> Client::get_certificate(std::string_view certificate_id) {
  const std::string what = "reading certificate '" + std::string(certificate_id) + "'";
  Result<http::Response> response =
      call("GET", project_path() + "/certificates/" + auth::uri_encode(certificate_id), "",
           Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_certificate(response->body), what);
}

Result<Certificate> Client::create_certificate(const CertificateUpload& upload,
                                               const Certificate& shape) {
  const std::string what = "creating certificate '" + std::string(upload.name) + "' on instance '" +
                           shape.instance_id + "'";
  Result<http::Response> response =
      call("POST", project_path() + "/certificates", "", object_body(upload, shape), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_certificate(response->body), what);
}

Result<std::optional<Certificate>> Client::find_certificate(std::string_view name,
                                                            std::string_view instance_id) {
  const std::string what = "looking up certificate '" + std::string(name) + "' on instance '" +
                           std::string(instance_id) + "'";
  // `name` is a fuzzy filter in APIG's lists: the exact match is picked here.
  const std::string query = "instance_id=" + auth::uri_encode(instance_id) +
                            "&limit=500&name=" + auth::uri_encode(name) + "&type=instance";
  Result<http::Response> response =
      call("GET", project_path() + "/certificates", query, Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  Result<std::vector<Certificate>> certificates =
      with_what(parse_certificate_list(response->body), what);
  if (!certificates) {
    return fail(std::move(certificates.error()));
  }
  for (Certificate& certificate : *certificates) {
    if (certificate.name == name &&
        (certificate.instance_id.empty() || certificate.instance_id == instance_id)) {
      return std::optional<Certificate>(std::move(certificate));
    }
  }
  return std::optional<Certificate>();
}

Result<long> Client::attached_domain_count(std::string_view certificate_id) {
  const std::string what =
      "reading the domains of certificate '" + std::string(certificate_id) + "'";
  Result<http::Response> response = call(
      "GET",
      project_path() + "/certificates/" + auth::uri_encode(certificate_id) + "/attached-domains",
      "limit=1", Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_attached_domain_count(response->body), what);
}

Result<Certificate> Client::update_certificate(std::string_view certificate_id,
                                               const CertificateUpload& upload,
                                               const Certificate& current) {
  const std::string what = "updating certificate '" + std::string(certificate_id) + "' to '" +
                           std::string(upload.name) + "'";
  Result<http::Response> response =
      call("PUT", project_path() + "/certificates/" + auth::uri_encode(certificate_id), "",
           object_body(upload, current), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return with_what(parse_certificate(response->body), what);
}

Result<void> Client::delete_certificate(std::string_view certificate_id) {
  const std::string what = "deleting certificate '" + std::string(certificate_id) + "'";
  Result<http::Response> response =
      call("DELETE", project_path() + "/certificates/" + auth::uri_encode(certificate_id), "",
           Secret(), what);
  if (!response) {
    return fail(std::move(response.error()));
  }
  return {};
}

}  // namespace apig_certd::apig
