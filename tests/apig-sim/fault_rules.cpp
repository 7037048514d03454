// Fault rules: matching, counting and the injected responses.
//
// Rules are tried in the order they were added and the first match is used, so a test can
// stack "two 500s, then one malformed body". A rule without status and action only delays
// (and adds its headers to) the normal response. std::regex reports a bad pattern by
// throwing; that exception is caught here, where the pattern is compiled, and becomes an
// InvalidArgument for the admin caller.

#include "tests/apig-sim/fault_rules.h"

#include <algorithm>

namespace apig_certd::sim {

namespace {

using nlohmann::json;

Error invalid_rule(std::string_view field, std::string_view what) {
  return Error(ErrorCode::InvalidArgument, std::string(field) + ": " + std::string(what));
}

Result<void> parse_action(const json& rule, FaultRule& parsed) {
  const auto action = rule.find("action");
  if (action == rule.end()) {
    return {};
  }
  if (*action == "reset") {
    parsed.action = FaultAction::Reset;
  } else if (*action == "hang") {
    parsed.action = FaultAction::Hang;
    if (parsed.delay.count() == 0) {
      parsed.delay = std::chrono::seconds(60);
    }
  } else if (*action != "respond") {
    return fail(invalid_rule("action", "expected \"reset\", \"hang\" or \"respond\""));
  }
  return {};
}

Result<void> parse_matchers(const json& rule, FaultRule& parsed) {
  if (const auto method = rule.find("method"); method != rule.end()) {
    if (!method->is_string()) {
      return fail(invalid_rule("method", "expected a string"));
    }
    parsed.method = method->get<std::string>();
  }
  if (const auto pattern = rule.find("path_regex"); pattern != rule.end()) {
    if (!pattern->is_string()) {
      return fail(invalid_rule("path_regex", "expected a string"));
    }
    try {
      parsed.compiled_path = std::regex(pattern->get<std::string>());
    } catch (const std::regex_error& error) {
      return fail(invalid_rule("path_regex", error.what()));
    }
    parsed.path_regex = pattern->get<std::string>();
  }
  return {};
}

Result<void> parse_response_parts(const json& rule, FaultRule& parsed) {
  if (const auto count = rule.find("count"); count != rule.end()) {
    if (!count->is_number_integer() || count->get<int>() == 0 || count->get<int>() < -1) {
      return fail(invalid_rule("count", "expected a positive integer, or -1 for always"));
    }
    parsed.remaining = count->get<int>();
  }
  if (const auto status = rule.find("status"); status != rule.end()) {
    if (!status->is_number_integer() || status->get<int>() < 100 || status->get<int>() > 599) {
      return fail(invalid_rule("status", "expected an HTTP status 100..599"));
    }
    parsed.status = status->get<int>();
  }
  if (const auto body = rule.find("body"); body != rule.end()) {
    if (!body->is_string()) {
      return fail(invalid_rule("body", "expected a string (sent as is)"));
    }
    parsed.body = body->get<std::string>();
  }
  if (const auto size = rule.find("body_bytes"); size != rule.end()) {
    constexpr std::int64_t kLargest = std::int64_t{256} << 20;
    if (!size->is_number_integer() || size->get<std::int64_t>() < 16 ||
        size->get<std::int64_t>() > kLargest || rule.contains("body")) {
      return fail(invalid_rule("body_bytes", "expected 16..268435456, and no \"body\" beside it"));
    }
    // A JSON object of exactly that many bytes: {"pad":"xxx...x"}.
    const auto filler = static_cast<std::size_t>(size->get<std::int64_t>()) - 10;
    parsed.body = "{\"pad\":\"" + std::string(filler, 'x') + "\"}";
  }
  if (const auto delay = rule.find("delay_ms"); delay != rule.end()) {
    if (!delay->is_number_integer() || delay->get<int>() < 0) {
      return fail(invalid_rule("delay_ms", "expected a non-negative integer"));
    }
    parsed.delay = std::chrono::milliseconds(delay->get<int>());
  }
  if (const auto headers = rule.find("headers"); headers != rule.end()) {
    if (!headers->is_object()) {
      return fail(invalid_rule("headers", "expected an object of strings"));
    }
    for (const auto& [name, value] : headers->items()) {
      if (!value.is_string()) {
        return fail(invalid_rule("headers", "expected an object of strings"));
      }
      parsed.headers.push_back({name, value.get<std::string>()});
    }
  }
  return {};
}

// Bodies in descriptions (and so in the request log) are cut at 200 bytes.
std::string shortened(const std::string& body) {
  constexpr std::size_t kShown = 200;
  if (body.size() <= kShown) {
    return body;
  }
  return body.substr(0, kShown) + "... (" + std::to_string(body.size()) + " bytes)";
}

std::string_view action_name(FaultAction action) {
  switch (action) {
    case FaultAction::Reset:
      return "reset";
    case FaultAction::Hang:
      return "hang";
    case FaultAction::Respond:
      break;
  }
  return "respond";
}

}  // namespace

json FaultRule::describe() const {
  json headers_json = json::object();
  for (const Header& header : headers) {
    headers_json[header.name] = header.value;
  }
  json described = {
      {"method", method ? json(*method) : json(nullptr)},
      {"path_regex", path_regex ? json(*path_regex) : json(nullptr)},
      {"remaining", remaining},
      {"status", status ? json(*status) : json(nullptr)},
      {"body", body ? json(shortened(*body)) : json(nullptr)},
      {"headers", std::move(headers_json)},
      {"delay_ms", delay.count()},
      {"action", std::string(action_name(action))},
  };
  return described;
}

Result<FaultRule> parse_fault_rule(const json& rule) {
  if (!rule.is_object()) {
    return fail(ErrorCode::InvalidArgument, "a fault rule is a JSON object");
  }
  FaultRule parsed;
  if (auto matchers = parse_matchers(rule, parsed); !matchers) {
    return fail(std::move(matchers.error()));
  }
  if (auto parts = parse_response_parts(rule, parsed); !parts) {
    return fail(std::move(parts.error()));
  }
  if (auto action = parse_action(rule, parsed); !action) {
    return fail(std::move(action.error()));
  }
  return parsed;
}

std::optional<FaultRule> FaultRules::take(std::string_view method, const std::string& path) {
  const auto matches = [&](const FaultRule& rule) {
    return (!rule.method || *rule.method == method) &&
           (!rule.path_regex || std::regex_search(path, rule.compiled_path));
  };
  const auto found = std::find_if(rules_.begin(), rules_.end(), matches);
  if (found == rules_.end()) {
    return std::nullopt;
  }
  FaultRule taken = *found;
  if (found->remaining > 0 && --found->remaining == 0) {
    rules_.erase(found);
  }
  return taken;
}

json FaultRules::describe() const {
  json rules = json::array();
  for (const FaultRule& rule : rules_) {
    rules.push_back(rule.describe());
  }
  return rules;
}

HttpResponse fault_response(const FaultRule& rule, std::string_view request_id) {
  const int status = rule.status.value_or(200);
  HttpResponse response;
  if (rule.body) {
    response.status = status;
    response.body = *rule.body;
  } else if (status >= 400) {
    const bool throttled = status == 429;
    response = error_response(
        ApigError{status, throttled ? "APIG.9008" : "APIG.9999",
                  throttled ? "Too many requests. Try again later." : "System error (injected)"},
        request_id);
  } else {
    response.status = status;
    response.body = "{}";
  }
  for (const Header& header : rule.headers) {
    response.set_header(header.name, header.value);
  }
  return response;
}

}  // namespace apig_certd::sim
