#pragma once

// The request log behind GET /__admin/requests: what clients sent, with every secret
// replaced, so tests can assert on the daemon's requests and may print the log freely.

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/apig-sim/http_types.h"

namespace apig_certd::sim {

// Header values of Authorization, X-Auth-Token and X-Security-Token become "<redacted>".
nlohmann::json redacted_headers(const std::vector<Header>& headers);

// The body as JSON with secrets replaced: "private_key" strings by {"sha256": hex},
// "password", "sk", "secret_key" and "security_token" strings by "<redacted>", at any depth.
// An empty body gives null; a body that is not JSON gives {"unparsed": true, "length": n,
// "sha256": hex} (it might hold a key, so its text is not kept).
nlohmann::json redacted_body(std::string_view body);

// Not thread-safe: the Simulator calls it under its mutex.
class RequestLog {
 public:
  void append(nlohmann::json entry) { entries_.push_back(std::move(entry)); }
  void clear() { entries_.clear(); }
  nlohmann::json to_json() const { return nlohmann::json(entries_); }

 private:
  std::vector<nlohmann::json> entries_;
};

}  // namespace apig_certd::sim
