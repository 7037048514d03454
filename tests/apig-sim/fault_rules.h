#pragma once

// Fault injection: rules added through POST /__admin/faults that apply to the next matching
// non-admin requests, before authentication (README.md, "Faults").

#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/core/result.h"
#include "tests/apig-sim/http_types.h"

namespace apig_certd::sim {

enum class FaultAction {
  Respond,  // Answer with status/body/headers (or carry on normally after the delay).
  Reset,    // Close the connection without a response.
  Hang,     // Hold the request for delay_ms (default 60 s) or until shutdown, then reset.
};

struct FaultRule {
  std::optional<std::string> method;      // Matches any method when absent.
  std::optional<std::string> path_regex;  // ECMAScript, searched in the decoded path.
  std::regex compiled_path;
  int remaining = 1;  // Requests left; -1 means every matching request until cleared.
  std::optional<int> status;
  std::optional<std::string> body;  // Raw bytes, so malformed JSON can be sent.
  std::vector<Header> headers;
  std::chrono::milliseconds delay{0};
  FaultAction action = FaultAction::Respond;

  // The rule as JSON (for GET /__admin/faults and the request log).
  nlohmann::json describe() const;
};

// Parses a rule posted to /__admin/faults. InvalidArgument naming the bad field.
Result<FaultRule> parse_fault_rule(const nlohmann::json& rule);

// Not thread-safe: the Simulator calls it under its mutex.
class FaultRules {
 public:
  void add(FaultRule rule) { rules_.push_back(std::move(rule)); }
  void clear() { rules_.clear(); }
  // The first rule that matches, with its count taken (rules used up are dropped).
  std::optional<FaultRule> take(std::string_view method, const std::string& path);
  nlohmann::json describe() const;

 private:
  std::vector<FaultRule> rules_;
};

// The response a Respond rule with a status gives: its body, or an APIG error body for the
// status (APIG.9008 for 429, APIG.9999 otherwise) when the rule has none.
HttpResponse fault_response(const FaultRule& rule, std::string_view request_id);

}  // namespace apig_certd::sim
