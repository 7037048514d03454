#pragma once

// The APIG client: the calls apig-certd makes on the v2 dedicated-gateway API
// (REFERENCE.md §2), each returning a model or an Error that says what failed and why.
//
// One Client per worker thread (it uses one Transport, which is not thread-safe). It holds
// references: the transport and the authenticator must outlive it.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/apig/models.h"
#include "daemon/auth/authenticator.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"
#include "daemon/http/transport.h"

namespace apig_certd::apig {

struct ClientOptions {
  std::string endpoint;  // "https://apig.cn-north-4.myhuaweicloud.com", no trailing '/'
  std::string project_id;
  Duration timeout = std::chrono::seconds(30);
};

// What a certificate upload (bind or update) sends. The key is referenced, not copied.
struct CertificateUpload {
  std::string_view name;             // fits ^[A-Za-z][A-Za-z0-9_]{3,49}$
  std::string_view certificate_pem;  // leaf first, then the chain
  const Secret* private_key_pem = nullptr;
  // The CA bundle an mTLS domain keeps trusting (trusted_root_ca), or empty. Only the
  // certificate APIs carry it; the one-step bind has no such field.
  std::string_view trusted_root_ca;
};

class Client {
 public:
  Client(http::Transport& transport, auth::Authenticator& authenticator, ClientOptions options);

  // GET .../instances/{instance_id}/api-groups/{group_id}: the group with its domains, their
  // CNAME status and bound certificates.
  Result<Group> get_group(std::string_view instance_id, std::string_view group_id);

  // POST .../domains/{domain_id}/certificate: creates a certificate object and binds it.
  Result<BoundDomain> bind_certificate(std::string_view instance_id, std::string_view group_id,
                                       std::string_view domain_id, const CertificateUpload& upload);

  // DELETE .../domains/{domain_id}/certificate/{certificate_id}: unbinds and deletes it.
  Result<void> delete_bound_certificate(std::string_view instance_id, std::string_view group_id,
                                        std::string_view domain_id,
                                        std::string_view certificate_id);

  // POST .../domains/{domain_id}/certificates/detach with {"certificate_ids":[id]}: unbinds the
  // certificate from this domain only; the object survives, with its other domains (204).
  Result<void> detach_certificate(std::string_view instance_id, std::string_view group_id,
                                  std::string_view domain_id, std::string_view certificate_id);

  // POST .../domains/{domain_id}/certificates/attach with {"certificate_ids":[id]}: binds an
  // existing certificate object to this domain (204). `verify_clients` keeps an mTLS domain
  // verifying client certificates (verified_client_certificate_enabled: true); otherwise the
  // field is left out and the domain's setting stays as it is.
  Result<void> attach_certificate(std::string_view instance_id, std::string_view group_id,
                                  std::string_view domain_id, std::string_view certificate_id,
                                  bool verify_clients);

  // GET .../domains/{domain_id}/certificate/{certificate_id}.
  Result<Certificate> get_bound_certificate(std::string_view instance_id, std::string_view group_id,
                                            std::string_view domain_id,
                                            std::string_view certificate_id);

  // GET /certificates/{certificate_id}: the object with its type, instance and algorithm.
  Result<Certificate> get_certificate(std::string_view certificate_id);

  // PUT /certificates/{certificate_id}: rewrites name, content and key in place. The body is
  // the create body (REFERENCE.md §2.9), so `current` (from get_certificate) gives the type,
  // instance_id and algorithm_type to send back unchanged: left out, they would read as the
  // defaults ("global", RSA). trusted_root_ca is sent when the upload has one.
  Result<Certificate> update_certificate(std::string_view certificate_id,
                                         const CertificateUpload& upload,
                                         const Certificate& current);

  // POST /certificates: a certificate object bound to nothing yet (200). `shape` gives its
  // type, instance_id and algorithm_type, as for update_certificate().
  Result<Certificate> create_certificate(const CertificateUpload& upload, const Certificate& shape);

  // GET /certificates?name=...&instance_id=...: the instance object named exactly `name`, or
  // nullopt when there is none.
  Result<std::optional<Certificate>> find_certificate(std::string_view name,
                                                      std::string_view instance_id);

  // GET /certificates/{certificate_id}/attached-domains: how many domains it is bound to.
  Result<long> attached_domain_count(std::string_view certificate_id);

  // DELETE /certificates/{certificate_id}: only certificates bound to no domain.
  Result<void> delete_certificate(std::string_view certificate_id);

 private:
  Result<http::Response> call(std::string method, const std::string& path, const std::string& query,
                              Secret body, std::string_view what);
  [[nodiscard]] std::string project_path() const;
  // .../instances/{instance_id}/api-groups/{group_id}, each segment encoded.
  [[nodiscard]] std::string group_path(std::string_view instance_id,
                                       std::string_view group_id) const;

  http::Transport& transport_;
  auth::Authenticator& authenticator_;
  ClientOptions options_;
};

}  // namespace apig_certd::apig

namespace apig_certd::apig {

// A Client with the transport it owns: one per worker thread.
struct ClientHandle {
  std::unique_ptr<http::Transport> transport;
  std::unique_ptr<Client> client;
};

}  // namespace apig_certd::apig
