#pragma once

// Simulator: the whole simulated service behind one entry point, handle(), which the HTTP
// server calls from its worker threads. Free of httplib, so everything here is plain code.
//
// Routes (README.md has the details):
//   /v2/{project_id}/apigw/...   APIG (apig_api.cpp), authenticated, fault-injectable, logged
//   POST /v3/auth/tokens         IAM's password token API (iam_api.cpp), injectable, logged
//   /__admin/...                 the admin API (admin_api.cpp): loopback only, never logged
//
// Thread safety: one mutex guards the model, credentials, faults, request log and config.
// Injected delays and hangs wait outside it (on a condition variable that shutdown() wakes),
// so a hung request never blocks the others; so does the costly part of a bind, checking the
// uploaded PEM (checked_upload.h).

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <regex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "daemon/core/clock.h"
#include "tests/apig-sim/authenticator.h"
#include "tests/apig-sim/checked_upload.h"
#include "tests/apig-sim/fault_rules.h"
#include "tests/apig-sim/http_types.h"
#include "tests/apig-sim/model.h"
#include "tests/apig-sim/request_log.h"
#include "tests/apig-sim/seed.h"

namespace apig_certd::sim {

class Simulator {
 public:
  // `clock` must outlive the simulator.
  Simulator(Seed seed, const Clock& clock);

  // Answers one request. Every response carries an X-Request-Id header. May block for an
  // injected delay or hang; returns promptly once shutdown() has been called.
  HttpResponse handle(const HttpRequest& request);

  // Wakes every request held by a delay or hang fault; they end with a reset.
  void shutdown();

  // What the TLS listener serves for the SNI `name` (Model::served_certificate), under the
  // mutex. Called from the listener's thread.
  std::optional<ServedCertificate> served_certificate(std::string_view name);

 private:
  using Handler = HttpResponse (Simulator::*)(const HttpRequest&, const std::smatch&,
                                              std::string_view request_id);
  // The routes that take an upload get it checked in advance (checked_upload.h).
  using UploadHandler = HttpResponse (Simulator::*)(const HttpRequest&, const std::smatch&,
                                                    std::string_view request_id,
                                                    const CheckedUpload& upload);
  struct Route {
    std::string_view method;
    std::regex pattern;
    Handler handler = nullptr;
    UploadHandler upload_handler = nullptr;
  };

  // simulator.cpp
  HttpResponse handle_service(const HttpRequest& request, std::string_view request_id);
  HttpResponse apply_fault(const FaultRule& rule, const HttpRequest& request,
                           std::string_view request_id, nlohmann::json& entry,
                           const CheckedUpload* upload);
  // `upload`: the request's body checked before the lock (POST and PUT), or nullptr.
  HttpResponse dispatch(const HttpRequest& request, std::string_view request_id,
                        const CheckedUpload* upload);
  // Waits up to `duration`; true if shutdown() was called meanwhile.
  bool wait_or_shutdown(std::chrono::milliseconds duration);
  void record(nlohmann::json entry, const HttpResponse& response);

  // apig_api.cpp; all called with mutex_ held.
  static std::vector<Route> apig_routes();
  HttpResponse handle_apig(const HttpRequest& request, std::string_view request_id,
                           const CheckedUpload* upload);
  HttpResponse list_groups(const HttpRequest& request, const std::smatch& match,
                           std::string_view request_id);
  HttpResponse show_group(const HttpRequest& request, const std::smatch& match,
                          std::string_view request_id);
  HttpResponse bind_certificate(const HttpRequest& request, const std::smatch& match,
                                std::string_view request_id, const CheckedUpload& upload);
  HttpResponse show_domain_certificate(const HttpRequest& request, const std::smatch& match,
                                       std::string_view request_id);
  HttpResponse delete_domain_certificate(const HttpRequest& request, const std::smatch& match,
                                         std::string_view request_id);
  HttpResponse detach_certificate(const HttpRequest& request, const std::smatch& match,
                                  std::string_view request_id);
  HttpResponse attach_certificate(const HttpRequest& request, const std::smatch& match,
                                  std::string_view request_id);
  HttpResponse create_certificate(const HttpRequest& request, const std::smatch& match,
                                  std::string_view request_id, const CheckedUpload& upload);
  HttpResponse attached_domains(const HttpRequest& request, const std::smatch& match,
                                std::string_view request_id);
  HttpResponse list_certificates(const HttpRequest& request, const std::smatch& match,
                                 std::string_view request_id);
  HttpResponse show_certificate(const HttpRequest& request, const std::smatch& match,
                                std::string_view request_id);
  HttpResponse update_certificate(const HttpRequest& request, const std::smatch& match,
                                  std::string_view request_id, const CheckedUpload& upload);
  HttpResponse delete_certificate(const HttpRequest& request, const std::smatch& match,
                                  std::string_view request_id);

  // iam_api.cpp; called with mutex_ held.
  HttpResponse handle_iam(const HttpRequest& request, std::string_view request_id);

  // admin_api.cpp; takes mutex_ itself.
  HttpResponse handle_admin(const HttpRequest& request);
  HttpResponse admin_faults(const HttpRequest& request);
  HttpResponse admin_config(const HttpRequest& request);

  const Clock& clock_;
  const std::vector<Route> routes_;
  std::mutex mutex_;
  std::condition_variable shutdown_signal_;
  bool shutting_down_ = false;
  Model model_;
  Authenticator authenticator_;
  FaultRules faults_;
  RequestLog log_;
};

}  // namespace apig_certd::sim
