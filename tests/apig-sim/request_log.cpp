// Redaction for the request log.
//
// The rule is "never keep a secret", not "hide what is obviously secret": header values that
// carry credentials are dropped whatever they look like, private keys are kept only as their
// SHA-256 (enough to tell which key was sent, and to compare with the admin state), and a body
// that does not parse as JSON is kept only as length and hash, since it could be a key pasted
// raw.

#include "tests/apig-sim/request_log.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "daemon/crypto/digest.h"

namespace apig_certd::sim {

namespace {

using nlohmann::json;

constexpr std::string_view kRedacted = "<redacted>";

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

bool is_secret_header(std::string_view name) {
  static constexpr std::array<std::string_view, 3> kSecret = {"authorization", "x-auth-token",
                                                              "x-security-token"};
  const std::string lowered = lower(name);
  return std::find(kSecret.begin(), kSecret.end(), lowered) != kSecret.end();
}

bool is_secret_field(std::string_view name) {
  static constexpr std::array<std::string_view, 4> kSecret = {"password", "sk", "secret_key",
                                                              "security_token"};
  return std::find(kSecret.begin(), kSecret.end(), name) != kSecret.end();
}

void redact_in_place(json& value) {
  if (value.is_array()) {
    for (json& element : value) {
      redact_in_place(element);
    }
    return;
  }
  if (!value.is_object()) {
    return;
  }
  for (auto& [key, member] : value.items()) {
    if (key == "private_key" && member.is_string()) {
      member = json{{"sha256", crypto::sha256_hex(member.get<std::string>())}};
    } else if (is_secret_field(key) && member.is_string()) {
      member = kRedacted;
    } else {
      redact_in_place(member);
    }
  }
}

}  // namespace

json redacted_headers(const std::vector<Header>& headers) {
  json result = json::object();
  for (const Header& header : headers) {
    const std::string value = is_secret_header(header.name) ? std::string(kRedacted) : header.value;
    if (result.contains(header.name)) {
      result[header.name] = result[header.name].get<std::string>() + ", " + value;
    } else {
      result[header.name] = value;
    }
  }
  return result;
}

json redacted_body(std::string_view body) {
  if (body.empty()) {
    return nullptr;
  }
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return {{"unparsed", true}, {"length", body.size()}, {"sha256", crypto::sha256_hex(body)}};
  }
  redact_in_place(parsed);
  return parsed;
}

}  // namespace apig_certd::sim
