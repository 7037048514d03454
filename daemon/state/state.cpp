// State <-> JSON with nlohmann-json.
//
// Writing uses ordered_json so the file lists fields in the order of the structs (identity
// first, then disk, then what is bound), which is the order a person reading `state.json`
// wants, and the same state always serialises to the same bytes. Absent optionals are
// written as null rather than left out, so every file shows every field.
//
// Reading is tolerant in one direction only: unknown fields are ignored and missing ones
// keep their defaults, so a file written by a newer (or older) apig-certd of the same
// version still loads; but a field that is present with the wrong type is an error, because
// guessing would hide corruption. A small Reader carries the JSON path of the object it
// reads, so every message names the exact field. Exceptions from nlohmann stay in this
// file: parse errors are caught (they carry line and column), every access checks the type
// first, and dump() replaces invalid UTF-8 instead of throwing.

#include "daemon/state/state.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/core/time_format.h"

namespace apig_certd::state {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// ---- Writing ----

ordered_json time_value(const std::optional<SystemTime>& time) {
  return time ? ordered_json(format_utc_iso8601(*time)) : ordered_json(nullptr);
}

ordered_json last_error_value(const std::optional<LastError>& error) {
  if (!error) {
    return nullptr;
  }
  ordered_json object = ordered_json::object();
  object["code"] = error->code;
  object["message"] = error->message;
  object["at"] = format_utc_iso8601(error->at);
  return object;
}

ordered_json created_value(const std::vector<CreatedCertificate>& created) {
  ordered_json array = ordered_json::array();
  for (const CreatedCertificate& certificate : created) {
    ordered_json object = ordered_json::object();
    object["ssl_id"] = certificate.ssl_id;
    object["name"] = certificate.name;
    object["sha256"] = certificate.sha256;
    object["created_at"] = format_utc_iso8601(certificate.created_at);
    object["delete_failed_at"] = time_value(certificate.delete_failed_at);
    object["delete_error"] = certificate.delete_error;
    array.push_back(std::move(object));
  }
  return array;
}

ordered_json target_value(const TargetState& target) {
  ordered_json object = ordered_json::object();
  object["binding"] = target.binding;
  object["instance_id"] = target.instance_id;
  object["group_id"] = target.group_id;
  object["domain"] = target.domain;
  object["domain_id"] = target.domain_id;
  object["disk_sha256"] = target.disk_sha256;
  object["disk_not_after"] = time_value(target.disk_not_after);
  object["bound_sha256"] = target.bound_sha256;
  object["bound_name"] = target.bound_name;
  object["ssl_id"] = target.ssl_id;
  object["bound_at"] = time_value(target.bound_at);
  object["bound_not_after"] = time_value(target.bound_not_after);
  object["cname_status"] = target.cname_status;
  object["last_result"] = target.last_result;
  object["last_attempt"] = time_value(target.last_attempt);
  object["last_error"] = last_error_value(target.last_error);
  object["consecutive_failures"] = target.consecutive_failures;
  object["next_attempt"] = time_value(target.next_attempt);
  object["failed_sha256"] = target.failed_sha256;
  object["verified_sha256"] = target.verified_sha256;
  object["verified_at"] = time_value(target.verified_at);
  object["expiring_sha256"] = target.expiring_sha256;
  object["bind_successes"] = target.bind_successes;
  object["bind_failures"] = target.bind_failures;
  object["last_success"] = time_value(target.last_success);
  object["created"] = created_value(target.created);
  return object;
}

// ---- Reading ----

Error bad_field(const std::string& path, const std::string& problem) {
  return {ErrorCode::ParseError, path + ": " + problem};
}

// Typed access to one JSON object, remembering its path for messages. Missing and null
// fields leave the output untouched (the default); a present field of another type fails.
class Reader {
 public:
  Reader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  Result<void> string(const char* key, std::string& out) const {
    const json* value = find(key);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_string()) {
      return fail(wrong_type(key, "a string", *value));
    }
    out = value->get<std::string>();
    return {};
  }

  Result<void> integer(const char* key, int& out) const {
    const json* value = find(key);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_number_integer()) {
      return fail(wrong_type(key, "an integer", *value));
    }
    const auto number = value->get<std::int64_t>();
    if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max()) {
      return fail(bad_field(field_path(key), "integer out of range"));
    }
    out = static_cast<int>(number);
    return {};
  }

  Result<void> time(const char* key, std::optional<SystemTime>& out) const {
    const json* value = find(key);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_string()) {
      return fail(wrong_type(key, "an ISO 8601 UTC time string", *value));
    }
    auto parsed = parse_utc_iso8601(value->get<std::string>());
    if (!parsed) {
      return fail(bad_field(field_path(key), parsed.error().message()));
    }
    out = *parsed;
    return {};
  }

  // A required-shape time that is not optional in the model (missing keeps the default).
  Result<void> time(const char* key, SystemTime& out) const {
    std::optional<SystemTime> time_value;
    if (auto read = time(key, time_value); !read) {
      return read;
    }
    if (time_value) {
      out = *time_value;
    }
    return {};
  }

  // The object at `key` (nullptr when missing or null), or an error for another type.
  Result<const json*> object(const char* key) const { return typed(key, "an object", false); }
  Result<const json*> array(const char* key) const { return typed(key, "an array", true); }

  std::string field_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

 private:
  const json* find(const char* key) const {
    const auto it = object_.find(key);
    if (it == object_.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }

  Result<const json*> typed(const char* key, const char* expected, bool want_array) const {
    const json* value = find(key);
    if (value == nullptr) {
      return nullptr;
    }
    if (want_array ? !value->is_array() : !value->is_object()) {
      return fail(wrong_type(key, expected, *value));
    }
    return value;
  }

  Error wrong_type(std::string_view key, const char* expected, const json& value) const {
    return bad_field(field_path(key),
                     std::string("expected ") + expected + ", got " + value.type_name());
  }

  const json& object_;
  std::string path_;
};

// Runs each read in turn and stops at the first error.
template <typename... Reads>
Result<void> all_of(Reads&&... reads) {
  Result<void> result;
  ((result = reads(), result.has_value()) && ...);
  return result;
}

Result<LastError> parse_last_error(const json& object, const std::string& path) {
  const Reader reader(object, path);
  LastError error;
  if (auto read = all_of([&] { return reader.string("code", error.code); },
                         [&] { return reader.string("message", error.message); },
                         [&] { return reader.time("at", error.at); });
      !read) {
    return fail(std::move(read.error()));
  }
  return error;
}

Result<CreatedCertificate> parse_created(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return fail(bad_field(path, std::string("expected an object, got ") + value.type_name()));
  }
  const Reader reader(value, path);
  CreatedCertificate certificate;
  if (auto read =
          all_of([&] { return reader.string("ssl_id", certificate.ssl_id); },
                 [&] { return reader.string("name", certificate.name); },
                 [&] { return reader.string("sha256", certificate.sha256); },
                 [&] { return reader.time("created_at", certificate.created_at); },
                 [&] { return reader.time("delete_failed_at", certificate.delete_failed_at); },
                 [&] { return reader.string("delete_error", certificate.delete_error); });
      !read) {
    return fail(std::move(read.error()));
  }
  return certificate;
}

Result<TargetState> parse_target(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return fail(bad_field(path, std::string("expected an object, got ") + value.type_name()));
  }
  const Reader reader(value, path);
  TargetState target;
  if (auto read = all_of(
          [&] { return reader.string("binding", target.binding); },
          [&] { return reader.string("instance_id", target.instance_id); },
          [&] { return reader.string("group_id", target.group_id); },
          [&] { return reader.string("domain", target.domain); },
          [&] { return reader.string("domain_id", target.domain_id); },
          [&] { return reader.string("disk_sha256", target.disk_sha256); },
          [&] { return reader.time("disk_not_after", target.disk_not_after); },
          [&] { return reader.string("bound_sha256", target.bound_sha256); },
          [&] { return reader.string("bound_name", target.bound_name); },
          [&] { return reader.string("ssl_id", target.ssl_id); },
          [&] { return reader.time("bound_at", target.bound_at); },
          [&] { return reader.time("bound_not_after", target.bound_not_after); },
          [&] { return reader.integer("cname_status", target.cname_status); },
          [&] { return reader.string("last_result", target.last_result); },
          [&] { return reader.time("last_attempt", target.last_attempt); },
          [&] { return reader.integer("consecutive_failures", target.consecutive_failures); },
          [&] { return reader.time("next_attempt", target.next_attempt); },
          [&] { return reader.string("failed_sha256", target.failed_sha256); },
          [&] { return reader.string("verified_sha256", target.verified_sha256); },
          [&] { return reader.time("verified_at", target.verified_at); },
          [&] { return reader.string("expiring_sha256", target.expiring_sha256); },
          [&] { return reader.integer("bind_successes", target.bind_successes); },
          [&] { return reader.integer("bind_failures", target.bind_failures); },
          [&] { return reader.time("last_success", target.last_success); });
      !read) {
    return fail(std::move(read.error()));
  }

  auto last_error = reader.object("last_error");
  if (!last_error) {
    return fail(std::move(last_error.error()));
  }
  if (*last_error != nullptr) {
    auto parsed = parse_last_error(**last_error, reader.field_path("last_error"));
    if (!parsed) {
      return fail(std::move(parsed.error()));
    }
    target.last_error = std::move(*parsed);
  }

  auto created = reader.array("created");
  if (!created) {
    return fail(std::move(created.error()));
  }
  if (*created != nullptr) {
    const std::string created_path = reader.field_path("created");
    for (std::size_t i = 0; i < (*created)->size(); ++i) {
      auto parsed = parse_created((**created)[i], created_path + "[" + std::to_string(i) + "]");
      if (!parsed) {
        return fail(std::move(parsed.error()));
      }
      target.created.push_back(std::move(*parsed));
    }
  }
  return target;
}

}  // namespace

void remember_created(std::vector<CreatedCertificate>& created, CreatedCertificate made,
                      int keep_previous) {
  const bool known = std::any_of(created.begin(), created.end(),
                                 [&](const auto& entry) { return entry.ssl_id == made.ssl_id; });
  if (!known) {
    created.push_back(std::move(made));
  }
  const std::size_t limit =
      std::max(kMaxCreatedRemembered, static_cast<std::size_t>(std::max(keep_previous, 0)) + 1);
  if (created.size() > limit) {
    created.erase(created.begin(),
                  created.begin() + static_cast<std::ptrdiff_t>(created.size() - limit));
  }
}

std::string target_key(std::string_view binding, std::string_view instance_id,
                       std::string_view group_id, std::string_view domain,
                       std::string_view domain_id) {
  std::string key;
  key.reserve(binding.size() + instance_id.size() + group_id.size() + domain.size() +
              domain_id.size() + 8);
  key.append(binding).append("/").append(instance_id).append("/").append(group_id).append("/");
  if (domain.empty()) {
    key.append("id:").append(domain_id);
  } else {
    key.append(domain);
  }
  return key;
}

std::string to_json(const State& state) {
  ordered_json document = ordered_json::object();
  document["version"] = state.version;
  ordered_json targets = ordered_json::object();
  for (const auto& [key, target] : state.targets) {
    targets[key] = target_value(target);
  }
  document["targets"] = std::move(targets);
  return document.dump(2, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace) + "\n";
}

Result<State> parse_state(std::string_view text) {
  json document;
  try {
    document = json::parse(text.begin(), text.end());
  } catch (const json::exception& error) {
    // what() is "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
    std::string message = error.what();
    if (const auto end = message.find("] ");
        message.starts_with("[json.") && end != std::string::npos) {
      message.erase(0, end + 2);
    }
    return fail(ErrorCode::ParseError, "not valid JSON: " + message);
  }
  if (!document.is_object()) {
    return fail(ErrorCode::ParseError,
                std::string("expected a JSON object, got ") + document.type_name());
  }
  const Reader reader(document, "");
  const auto version = document.find("version");
  if (version == document.end() || version->is_null()) {
    return fail(bad_field("version", "missing"));
  }
  if (!version->is_number_integer()) {
    return fail(
        bad_field("version", std::string("expected an integer, got ") + version->type_name()));
  }
  if (version->get<std::int64_t>() != kStateVersion) {
    return fail(bad_field("version", "unsupported state version " + version->dump() +
                                         " (this apig-certd reads version " +
                                         std::to_string(kStateVersion) + ")"));
  }
  State state;
  auto targets = reader.object("targets");
  if (!targets) {
    return fail(std::move(targets.error()));
  }
  if (*targets != nullptr) {
    for (const auto& [key, value] : (*targets)->items()) {
      // Keys are quoted in messages because they contain '/' and '.'.
      auto target = parse_target(value, "targets[\"" + key + "\"]");
      if (!target) {
        return fail(std::move(target.error()));
      }
      state.targets.emplace(key, std::move(*target));
    }
  }
  return state;
}

}  // namespace apig_certd::state
