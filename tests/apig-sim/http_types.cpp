// Small helpers over the simulator's HTTP values: case-insensitive header lookup (RFC 9110
// field names are case-insensitive), the APIG error body, and the loopback test that guards
// the admin API.
//
// The error body always carries request_id as well as error_code and error_msg, as the APIG
// FAQ examples do (REFERENCE.md §1); the same id goes out in the X-Request-Id header.

#include "tests/apig-sim/http_types.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "tests/apig-sim/render.h"

namespace apig_certd::sim {

namespace {

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char left, char right) {
    return std::tolower(static_cast<unsigned char>(left)) ==
           std::tolower(static_cast<unsigned char>(right));
  });
}

}  // namespace

std::optional<std::string> HttpRequest::header(std::string_view name) const {
  for (const Header& entry : headers) {
    if (equal_ignoring_case(entry.name, name)) {
      return entry.value;
    }
  }
  return std::nullopt;
}

std::optional<std::string> HttpRequest::query_value(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

void HttpResponse::set_header(std::string name, std::string value) {
  for (Header& entry : headers) {
    if (equal_ignoring_case(entry.name, name)) {
      entry.value = std::move(value);
      return;
    }
  }
  headers.push_back({std::move(name), std::move(value)});
}

HttpResponse error_response(const ApigError& error, std::string_view request_id) {
  const nlohmann::json body = {
      {"error_code", error.code},
      {"error_msg", error.message},
      {"request_id", request_id},
  };
  HttpResponse response;
  response.status = error.status;
  response.body = dump_json(body);
  return response;
}

bool is_loopback_address(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

}  // namespace apig_certd::sim
