// The simulator's front door: request ids, faults, the request log, and dispatch.
//
// Order for a non-admin request: take the first matching fault rule (before authentication,
// as a network or gateway fault would hit before APIG looks at credentials), wait out its
// delay, then either answer for it or handle the request normally. Every non-admin request
// is logged with its redacted headers and body and the status it got; a hang is logged when
// it starts, so a test can see the request while it is held.
//
// One line per request goes to stderr ("apig-sim: POST /v2/... -> 201"): method, decoded
// path and status only, which never contain a secret.

#include "tests/apig-sim/simulator.h"

#include <cstdio>

#include "tests/apig-sim/render.h"

namespace apig_certd::sim {

namespace {

using nlohmann::json;

json log_entry(const HttpRequest& request, std::string_view request_id, SystemTime now) {
  return {
      {"time", iso_time_micros(now)},
      {"request_id", request_id},
      {"method", request.method},
      {"path", request.path},
      {"query", request.raw_query},
      {"headers", redacted_headers(request.headers)},
      {"body", redacted_body(request.body)},
      {"auth", std::string(Authenticator::method_of(request))},
      {"status", nullptr},
      {"fault", nullptr},
  };
}

void print_access_line(const HttpRequest& request, const HttpResponse& response) {
  const std::string status = response.disposition == Disposition::Reset
                                 ? std::string("reset")
                                 : std::to_string(response.status);
  std::fprintf(stderr, "apig-sim: %s %s -> %s\n", request.method.c_str(), request.path.c_str(),
               status.c_str());
}

}  // namespace

Simulator::Simulator(Seed seed, const Clock& clock)
    : clock_(clock),
      routes_(apig_routes()),
      model_(std::move(seed.model)),
      authenticator_(std::move(seed.credentials)) {}

HttpResponse Simulator::handle(const HttpRequest& request) {
  const std::string request_id = random_id();
  HttpResponse response = request.path.starts_with("/__admin/")
                              ? handle_admin(request)
                              : handle_service(request, request_id);
  response.set_header("X-Request-Id", request_id);
  return response;
}

HttpResponse Simulator::handle_service(const HttpRequest& request, std::string_view request_id) {
  json entry = log_entry(request, request_id, clock_.now());
  std::optional<CheckedUpload> upload;
  if ((request.method == "POST" || request.method == "PUT") && request.path.starts_with("/v2/")) {
    upload = check_upload_body(request.body, clock_.now());
  }
  const CheckedUpload* checked = upload ? &*upload : nullptr;
  std::optional<FaultRule> fault;
  {
    const std::lock_guard lock(mutex_);
    fault = faults_.take(request.method, request.path);
  }
  HttpResponse response = fault ? apply_fault(*fault, request, request_id, entry, checked)
                                : dispatch(request, request_id, checked);
  print_access_line(request, response);
  record(std::move(entry), response);
  return response;
}

HttpResponse Simulator::apply_fault(const FaultRule& rule, const HttpRequest& request,
                                    std::string_view request_id, json& entry,
                                    const CheckedUpload* upload) {
  entry["fault"] = rule.describe();
  HttpResponse reset;
  reset.disposition = Disposition::Reset;
  if (rule.action == FaultAction::Hang) {
    record(entry, reset);
    entry = nullptr;  // Already logged.
    wait_or_shutdown(rule.delay);
    return reset;
  }
  if (rule.delay.count() > 0 && wait_or_shutdown(rule.delay)) {
    return reset;
  }
  if (rule.action == FaultAction::Reset) {
    return reset;
  }
  if (rule.status || rule.body) {
    return fault_response(rule, request_id);
  }
  HttpResponse response = dispatch(request, request_id, upload);
  for (const Header& header : rule.headers) {
    response.set_header(header.name, header.value);
  }
  return response;
}

HttpResponse Simulator::dispatch(const HttpRequest& request, std::string_view request_id,
                                 const CheckedUpload* upload) {
  const std::lock_guard lock(mutex_);
  if (request.path == "/v3/auth/tokens") {
    return handle_iam(request, request_id);
  }
  if (request.path.starts_with("/v2/")) {
    return handle_apig(request, request_id, upload);
  }
  return error_response(
      {404, "APIGW.0101", "The API does not exist or has not been published in an environment"},
      request_id);
}

bool Simulator::wait_or_shutdown(std::chrono::milliseconds duration) {
  std::unique_lock lock(mutex_);
  return shutdown_signal_.wait_for(lock, duration, [this] { return shutting_down_; });
}

void Simulator::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    shutting_down_ = true;
  }
  shutdown_signal_.notify_all();
}

std::optional<ServedCertificate> Simulator::served_certificate(std::string_view name) {
  const std::lock_guard lock(mutex_);
  return model_.served_certificate(name);
}

void Simulator::record(json entry, const HttpResponse& response) {
  if (entry.is_null()) {
    return;
  }
  if (response.disposition == Disposition::Reset) {
    entry["status"] = nullptr;
    entry["reset"] = true;
  } else {
    entry["status"] = response.status;
  }
  const std::lock_guard lock(mutex_);
  log_.append(std::move(entry));
}

}  // namespace apig_certd::sim
