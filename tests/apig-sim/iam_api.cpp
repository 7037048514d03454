// IAM's password token API (REFERENCE.md §5): POST /v3/auth/tokens.
//
// The body names a user (name, password, account name) and a project scope by id or by name
// (the region). A match answers 201 with the token in X-Subject-Token and the token's
// metadata in the body; times carry microseconds like IAM's ("...22.701000Z"). A wrong user
// or password, or a scope that is not this account's project, answers 401; an unreadable body
// 400. The error body carries both the Keystone shape ({"error": {code, title, message}})
// and Huawei's error_code/error_msg pair, so a client reading either finds it.

#include <algorithm>
#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "tests/apig-sim/render.h"
#include "tests/apig-sim/simulator.h"

namespace apig_certd::sim {

namespace {

using nlohmann::json;

struct PasswordAuth {
  std::string domain_name;
  std::string user_name;
  std::string password;
  std::string project_id;
  std::string project_name;
};

HttpResponse iam_error(int status, std::string_view code, std::string_view message) {
  const json body = {
      {"error",
       {{"code", status},
        {"title", status == 401 ? "Unauthorized" : "Bad Request"},
        {"message", message}}},
      {"error_code", code},
      {"error_msg", message},
  };
  HttpResponse response;
  response.status = status;
  response.body = dump_json(body);
  return response;
}

std::string string_at(const json& document, const json::json_pointer& pointer) {
  if (!document.contains(pointer)) {
    return "";
  }
  const json& value = document.at(pointer);
  return value.is_string() ? value.get<std::string>() : "";
}

std::optional<PasswordAuth> read_password_auth(std::string_view body) {
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) {
    return std::nullopt;
  }
  const json::json_pointer methods("/auth/identity/methods");
  if (!document.contains(methods) || !document.at(methods).is_array() ||
      std::find(document.at(methods).begin(), document.at(methods).end(), "password") ==
          document.at(methods).end()) {
    return std::nullopt;
  }
  PasswordAuth auth{
      string_at(document, json::json_pointer("/auth/identity/password/user/domain/name")),
      string_at(document, json::json_pointer("/auth/identity/password/user/name")),
      string_at(document, json::json_pointer("/auth/identity/password/user/password")),
      string_at(document, json::json_pointer("/auth/scope/project/id")),
      string_at(document, json::json_pointer("/auth/scope/project/name")),
  };
  if (auth.user_name.empty() || auth.password.empty()) {
    return std::nullopt;
  }
  return auth;
}

}  // namespace

HttpResponse Simulator::handle_iam(const HttpRequest& request, std::string_view /*request_id*/) {
  if (request.method != "POST") {
    return iam_error(405, "IAM.0007", "Method not allowed");
  }
  const auto auth = read_password_auth(request.body);
  if (!auth) {
    return iam_error(400, "IAM.0006",
                     "The request body is invalid: expected the password "
                     "method with user name, password and domain");
  }
  const bool scope_ok = (!auth->project_id.empty() && auth->project_id == model_.project_id) ||
                        (auth->project_id.empty() && auth->project_name == model_.region);
  if (!scope_ok) {
    return iam_error(401, "IAM.0103", "The project in the scope does not exist.");
  }
  const SystemTime now = clock_.now();
  const auto issued =
      authenticator_.issue_token(auth->domain_name, auth->user_name, auth->password, now);
  if (!issued) {
    return iam_error(401, "IAM.0101", "The username or password is wrong.");
  }
  json token = {
      {"expires_at", iso_time_micros(issued->expires_at)},
      {"issued_at", iso_time_micros(issued->issued_at)},
      {"methods", {"password"}},
      {"project",
       {{"id", model_.project_id},
        {"name", model_.region},
        {"domain", {{"name", auth->domain_name}}}}},
      {"user", {{"name", auth->user_name}, {"domain", {{"name", auth->domain_name}}}}},
      {"roles", json::array()},
  };
  if (request.query_value("nocatalog") != "true") {
    token["catalog"] = json::array();
  }
  HttpResponse response;
  response.status = 201;
  response.body = dump_json(json{{"token", std::move(token)}});
  response.set_header("X-Subject-Token", issued->token);
  return response;
}

}  // namespace apig_certd::sim
