// The admin API under /__admin/: what tests use to look inside the simulator and to steer it.
//
//   GET    /__admin/requests   the request log (redacted)      DELETE clears it
//   GET    /__admin/state      instances, groups, domains, certificates (no keys)
//   GET    /__admin/faults     the pending fault rules          POST adds one, DELETE clears
//   GET    /__admin/config     {"second_bind": ..., "tls_frozen": [...]}   POST changes them
//
// No authentication, but only loopback peers are served (403 otherwise); the server binds
// loopback only anyway, so this is a second lock on the same door. Admin calls are not
// logged and faults never apply to them. Errors are {"error": "..."} with 400 or 404.

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/apig-sim/render.h"
#include "tests/apig-sim/simulator.h"

namespace apig_certd::sim {

namespace {

using nlohmann::json;

HttpResponse admin_json(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = dump_json(body);
  return response;
}

HttpResponse admin_error(int status, std::string message) {
  return admin_json(status, {{"error", std::move(message)}});
}

HttpResponse admin_no_content() {
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

}  // namespace

HttpResponse Simulator::handle_admin(const HttpRequest& request) {
  if (!is_loopback_address(request.remote_addr)) {
    return admin_error(403, "the admin API only serves loopback peers");
  }
  if (request.path == "/__admin/faults") {
    return admin_faults(request);
  }
  if (request.path == "/__admin/config") {
    return admin_config(request);
  }
  const std::lock_guard lock(mutex_);
  if (request.path == "/__admin/requests" && request.method == "GET") {
    return admin_json(200, {{"requests", log_.to_json()}});
  }
  if (request.path == "/__admin/requests" && request.method == "DELETE") {
    log_.clear();
    return admin_no_content();
  }
  if (request.path == "/__admin/state" && request.method == "GET") {
    return admin_json(200, state_json(model_));
  }
  return admin_error(404, "no such admin endpoint: " + request.method + " " + request.path);
}

HttpResponse Simulator::admin_faults(const HttpRequest& request) {
  const std::lock_guard lock(mutex_);
  if (request.method == "GET") {
    return admin_json(200, {{"faults", faults_.describe()}});
  }
  if (request.method == "DELETE") {
    faults_.clear();
    return admin_no_content();
  }
  if (request.method != "POST") {
    return admin_error(404, "faults: use GET, POST or DELETE");
  }
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  auto rule = parse_fault_rule(body);
  if (!rule) {
    return admin_error(400, rule.error().to_string());
  }
  const json described = rule->describe();
  faults_.add(std::move(*rule));
  return admin_json(201, described);
}

HttpResponse Simulator::admin_config(const HttpRequest& request) {
  const std::lock_guard lock(mutex_);
  if (request.method == "POST") {
    constexpr std::string_view kExpected =
        R"(config: expected {"second_bind": "replace" | "refuse" | "unbind"} and/or )"
        R"({"tls_frozen": ["domain", ...]})";
    const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || (!body.contains("second_bind") && !body.contains("tls_frozen"))) {
      return admin_error(400, std::string(kExpected));
    }
    const auto second_bind = body.find("second_bind");
    const bool second_bind_valid =
        second_bind == body.end() ||
        (second_bind->is_string() && parse_second_bind(second_bind->get<std::string>()));
    const auto frozen = body.find("tls_frozen");
    const bool frozen_valid =
        frozen == body.end() ||
        (frozen->is_array() && std::all_of(frozen->begin(), frozen->end(),
                                           [](const json& name) { return name.is_string(); }));
    if (!second_bind_valid || !frozen_valid) {
      return admin_error(400, std::string(kExpected));
    }
    if (second_bind != body.end()) {
      model_.second_bind =
          parse_second_bind(second_bind->get<std::string>()).value_or(model_.second_bind);
    }
    if (frozen != body.end()) {
      // Each domain keeps what it serves right now; an empty list thaws them all.
      model_.frozen.clear();
      for (const json& name : *frozen) {
        const std::string domain = name.get<std::string>();
        model_.frozen[domain] = model_.bound_certificate(domain);
      }
    }
  } else if (request.method != "GET") {
    return admin_error(404, "config: use GET or POST");
  }
  json frozen = json::array();
  for (const auto& entry : model_.frozen) {
    frozen.push_back(entry.first);
  }
  return admin_json(
      200, {{"second_bind", std::string(to_string(model_.second_bind))}, {"tls_frozen", frozen}});
}

}  // namespace apig_certd::sim
