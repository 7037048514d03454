#include "daemon/notify/payload.h"

#include <utility>
#include <vector>

#include "daemon/core/json_writer.h"
#include "daemon/core/time_format.h"

namespace apig_certd::notify {

namespace {

void append_field(std::string& out, std::string_view name) {
  if (!out.ends_with('{')) {
    out += ',';
  }
  append_json_string(out, name);
  out += ':';
}

void append_string(std::string& out, std::string_view name, std::string_view value) {
  append_field(out, name);
  append_json_string(out, value);
}

}  // namespace

std::string payload_json(const Change& change, SystemTime now, std::string_view host) {
  const state::TargetState& target = change.target;
  std::string out = "{";
  append_string(out, "event", settings::to_string(change.event));
  const std::vector<std::pair<std::string_view, std::string_view>> identity{
      {"binding", target.binding},
      {"domain", target.domain},
      {"domain_id", target.domain_id},
      {"instance_id", target.instance_id},
      {"group_id", target.group_id},
      {"sha256", change.sha256},
      {"certificate_name", change.certificate_name}};
  for (const auto& [name, value] : identity) {
    append_string(out, name, value);
  }
  append_field(out, "not_after");
  if (change.not_after) {
    append_json_string(out, format_utc_iso8601(*change.not_after));
  } else {
    out += "null";
  }
  append_string(out, "result",
                target.last_result ? std::string(state::token(*target.last_result)) : "");
  append_field(out, "error");
  const bool failing = !target.last_result || !state::is_serving(*target.last_result);
  if (failing && target.last_error) {
    out += "{";
    append_string(out, "code", target.last_error->code);
    append_string(out, "message", target.last_error->message);
    out += "}";
  } else {
    out += "null";
  }
  append_string(out, "time", format_utc_iso8601(now));
  append_string(out, "host", host);
  out += "}";
  return out;
}

}  // namespace apig_certd::notify
