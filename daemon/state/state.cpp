// State <-> JSON with nlohmann-json: the model is converted to a document and dumped, and
// read back from a parsed document. The default nlohmann object sorts its keys, so the same
// state always gives the same bytes; fields at their default are left out, which halves the
// file (most targets in sync have no error, no backoff, no failed or verified fingerprint).
//
// Reading is tolerant in one direction only: unknown fields are ignored and missing ones
// keep their defaults, so a file written by a newer (or older) apig-certd of the same
// version still loads (older ones wrote every field, null for absent ones, and a "bundles"
// cache that is now kept in memory); but a field that is present with the wrong type is an
// error, because guessing would hide corruption. The Reader keeps the JSON path of the field
// it is in and the first problem it meets, so every message names the exact field and the
// conversions need no error checks of their own. nlohmann's exceptions stay in this file:
// parse errors are caught (they carry line and column), every access checks the type first,
// and the writer replaces invalid UTF-8 instead of throwing.

#include "daemon/state/state.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/core/time_format.h"

namespace apig_certd::state {

namespace {

using nlohmann::json;

// The model as a document; put() leaves out a field at its default value.
struct Writer {
  static json value_of(const std::string& text) { return text; }
  static json value_of(int number) { return number; }
  static json value_of(SystemTime time) { return format_utc_iso8601(time); }
  template <typename T>
  static json value_of(const std::optional<T>& value) {
    return value_of(*value);
  }
  template <typename T>
  static json value_of(const std::vector<T>& values) {
    json array = json::array();
    for (const T& value : values) {
      array.push_back(value_of(value));
    }
    return array;
  }

  static json value_of(TargetResult result) { return std::string(token(result)); }

  static json value_of(const LastError& error) {
    json object = json::object();
    put(object, "code", error.code);
    put(object, "message", error.message);
    put(object, "at", error.at);
    return object;
  }

  static json value_of(const CreatedCertificate& made) {
    json object = json::object();
    put(object, "ssl_id", made.ssl_id);
    put(object, "name", made.name);
    put(object, "sha256", made.sha256);
    put(object, "created_at", made.created_at);
    put(object, "delete_failed_at", made.delete_failed_at);
    put(object, "delete_error", made.delete_error);
    return object;
  }

  static json value_of(const TargetState& target) {
    json object = json::object();
    put(object, "binding", target.binding);
    put(object, "instance_id", target.instance_id);
    put(object, "group_id", target.group_id);
    put(object, "domain", target.domain);
    put(object, "domain_id", target.domain_id);
    put(object, "disk_sha256", target.disk_sha256);
    put(object, "disk_not_after", target.disk_not_after);
    put(object, "bound_sha256", target.bound_sha256);
    put(object, "bound_name", target.bound_name);
    put(object, "ssl_id", target.ssl_id);
    put(object, "bound_at", target.bound_at);
    put(object, "bound_not_after", target.bound_not_after);
    put(object, "cname_status", target.cname_status);
    put(object, "last_result", target.last_result);
    put(object, "last_attempt", target.last_attempt);
    put(object, "last_error", target.last_error);
    put(object, "consecutive_failures", target.consecutive_failures);
    put(object, "next_attempt", target.next_attempt);
    put(object, "failed_sha256", target.failed_sha256);
    put(object, "verified_sha256", target.verified_sha256);
    put(object, "verified_at", target.verified_at);
    put(object, "expiring_sha256", target.expiring_sha256);
    put(object, "bind_successes", target.bind_successes);
    put(object, "bind_failures", target.bind_failures);
    put(object, "last_success", target.last_success);
    put(object, "created", target.created);
    return object;
  }

  template <typename T>
  static void put(json& object, const char* key, const T& value) {
    if (!(value == T{})) {
      object[key] = value_of(value);
    }
  }
};

// The document as the model. A missing or null field keeps the default; after the first
// problem every read does nothing, and error() says what and where.
class Reader {
 public:
  [[nodiscard]] const std::optional<Error>& error() const { return error_; }

  // object[key] into `out`, unless missing or null.
  template <typename T>
  void field(const json& object, const char* key, T& out) {
    const auto found = object.find(key);
    if (error_ || found == object.end() || found->is_null()) {
      return;
    }
    const std::size_t length = path_.size();
    path_.append(path_.empty() ? "" : ".").append(key);
    read(*found, out);
    path_.resize(length);
  }

  void read(const json& value, std::string& out) {
    if (expect(value.is_string(), "a string", value)) {
      out = value.get_ref<const std::string&>();
    }
  }

  void read(const json& value, int& out) {
    if (!expect(value.is_number_integer(), "an integer", value)) {
      return;
    }
    // nlohmann reads every integer that is not negative as unsigned.
    const bool in_range =
        value.is_number_unsigned()
            ? value.get<std::uint64_t>() <= std::uint64_t{std::numeric_limits<int>::max()}
            : value.get<std::int64_t>() >= std::numeric_limits<int>::min();
    if (!in_range) {
      return problem("integer out of range");
    }
    out = value.get<int>();
  }

  void read(const json& value, SystemTime& out) {
    if (!expect(value.is_string(), "an ISO 8601 UTC time string", value)) {
      return;
    }
    Result<SystemTime> time = parse_utc_iso8601(value.get_ref<const std::string&>());
    if (!time) {
      return problem(time.error().message());
    }
    out = *time;
  }

  // A result this version does not know (a newer one's), or "", reads as none: the next pass
  // records one.
  void read(const json& value, std::optional<TargetResult>& out) {
    std::string text;
    read(value, text);
    out = parse_target_result(text);
  }

  template <typename T>
  void read(const json& value, std::optional<T>& out) {
    read(value, out.emplace());
  }

  template <typename T>
  void read(const json& value, std::vector<T>& out) {
    if (!expect(value.is_array(), "an array", value)) {
      return;
    }
    const std::size_t length = path_.size();
    for (std::size_t i = 0; i < value.size() && !error_; ++i) {
      path_.append("[").append(std::to_string(i)).append("]");
      read(value[i], out.emplace_back());
      path_.resize(length);
    }
  }

  // Keys are quoted in paths because target keys contain '/' and '.'.
  template <typename T>
  void read(const json& value, std::map<std::string, T>& out) {
    if (!expect(value.is_object(), "an object", value)) {
      return;
    }
    const std::size_t length = path_.size();
    for (auto it = value.begin(); it != value.end() && !error_; ++it) {
      path_.append("[\"").append(it.key()).append("\"]");
      read(it.value(), out[it.key()]);
      path_.resize(length);
    }
  }

  void read(const json& value, LastError& out) {
    if (expect(value.is_object(), "an object", value)) {
      field(value, "code", out.code);
      field(value, "message", out.message);
      field(value, "at", out.at);
    }
  }

  void read(const json& value, CreatedCertificate& out) {
    if (expect(value.is_object(), "an object", value)) {
      field(value, "ssl_id", out.ssl_id);
      field(value, "name", out.name);
      field(value, "sha256", out.sha256);
      field(value, "created_at", out.created_at);
      field(value, "delete_failed_at", out.delete_failed_at);
      field(value, "delete_error", out.delete_error);
    }
  }

  void read(const json& value, TargetState& out) {
    if (!expect(value.is_object(), "an object", value)) {
      return;
    }
    field(value, "binding", out.binding);
    field(value, "instance_id", out.instance_id);
    field(value, "group_id", out.group_id);
    field(value, "domain", out.domain);
    field(value, "domain_id", out.domain_id);
    field(value, "disk_sha256", out.disk_sha256);
    field(value, "disk_not_after", out.disk_not_after);
    field(value, "bound_sha256", out.bound_sha256);
    field(value, "bound_name", out.bound_name);
    field(value, "ssl_id", out.ssl_id);
    field(value, "bound_at", out.bound_at);
    field(value, "bound_not_after", out.bound_not_after);
    field(value, "cname_status", out.cname_status);
    field(value, "last_result", out.last_result);
    field(value, "last_attempt", out.last_attempt);
    field(value, "last_error", out.last_error);
    field(value, "consecutive_failures", out.consecutive_failures);
    field(value, "next_attempt", out.next_attempt);
    field(value, "failed_sha256", out.failed_sha256);
    field(value, "verified_sha256", out.verified_sha256);
    field(value, "verified_at", out.verified_at);
    field(value, "expiring_sha256", out.expiring_sha256);
    field(value, "bind_successes", out.bind_successes);
    field(value, "bind_failures", out.bind_failures);
    field(value, "last_success", out.last_success);
    field(value, "created", out.created);
  }

 private:
  // Records "expected WHAT, got TYPE" unless `ok`; whether to go on.
  bool expect(bool ok, const char* what, const json& value) {
    if (!ok) {
      problem(std::string("expected ") + what + ", got " + value.type_name());
    }
    return ok && !error_;
  }

  void problem(const std::string& what) {
    if (!error_) {
      error_ = Error(ErrorCode::ParseError, path_ + ": " + what);
    }
  }

  std::string path_;
  std::optional<Error> error_;
};

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
  json targets = json::object();
  for (const auto& [key, target] : state.targets) {
    targets[key] = Writer::value_of(target);
  }
  const json root = {{"version", state.version}, {"targets", std::move(targets)}};
  return root.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<State> parse_state(std::string_view text) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& error) {  // parse_error, and out_of_range for 1e999
    // "[json.exception.parse_error.101] parse error at line 2, column 3: ..." without the tag.
    const std::string_view what = error.what();
    const std::size_t tag = what.find("] ");
    return fail(ErrorCode::ParseError,
                "not valid JSON: " +
                    std::string(tag == std::string_view::npos ? what : what.substr(tag + 2)));
  }
  if (!root.is_object()) {
    return fail(ErrorCode::ParseError,
                std::string("expected a JSON object, got ") + root.type_name());
  }
  State state;
  Reader reader;
  const auto version = root.find("version");
  if (version == root.end() || version->is_null()) {
    return fail(ErrorCode::ParseError, "version: missing");
  }
  reader.field(root, "version", state.version);
  if (!reader.error() && state.version != kStateVersion) {
    return fail(ErrorCode::ParseError,
                "version: unsupported state version " + std::to_string(state.version) +
                    " (this apig-certd reads version " + std::to_string(kStateVersion) + ")");
  }
  reader.field(root, "targets", state.targets);
  if (reader.error()) {
    return fail(*reader.error());
  }
  return state;
}

}  // namespace apig_certd::state
