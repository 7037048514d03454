// State <-> JSON with nlohmann-json.
//
// Writing streams the fields with PrettyJsonWriter (json_writer.h: nlohmann's pretty format,
// without building a document) in the order of the structs (identity first, then disk, then
// what is bound), which is the order a person reading `state.json` wants, and the same state
// always serialises to the same bytes. Absent optionals are
// written as null rather than left out, so every file shows every field.
//
// Reading is tolerant in one direction only: unknown fields are ignored and missing ones
// keep their defaults, so a file written by a newer (or older) apig-certd of the same
// version still loads; but a field that is present with the wrong type is an error, because
// guessing would hide corruption. A small Reader carries the JSON path of the object it
// reads, so every message names the exact field. Exceptions from nlohmann stay in this
// file: parse errors are caught (they carry line and column), every access checks the type
// first, and the writer replaces invalid UTF-8 instead of throwing.
//
// The "bundles" section (the bundle cache, engine/bundle_cache.h) is read more forgivingly
// still: it only saves work, so an entry that does not parse is dropped, never the file. The
// file times and inode numbers are written as JSON integers (nanoseconds, 64 bits), which
// nlohmann reads back exactly; dates as ISO 8601 like every other time here, which is exact
// because certificate dates are whole seconds.

#include "daemon/state/state.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "daemon/core/time_format.h"
#include "daemon/state/json_reader.h"
#include "daemon/state/json_writer.h"

namespace apig_certd::state {

namespace {

using nlohmann::json;

// ---- Writing ----

// One "name": value member.
void text_member(PrettyJsonWriter& out, const char* name, std::string_view value) {
  out.key(name);
  out.string(value);
}

void write_time(PrettyJsonWriter& out, const std::optional<SystemTime>& time) {
  if (time) {
    out.string(format_utc_iso8601(*time));
  } else {
    out.null();
  }
}

void write_last_error(PrettyJsonWriter& out, const std::optional<LastError>& error) {
  if (!error) {
    out.null();
    return;
  }
  out.begin_object();
  text_member(out, "code", error->code);
  text_member(out, "message", error->message);
  text_member(out, "at", format_utc_iso8601(error->at));
  out.end_object();
}

void write_created(PrettyJsonWriter& out, const std::vector<CreatedCertificate>& created) {
  out.begin_array();
  for (const CreatedCertificate& certificate : created) {
    out.begin_object();
    text_member(out, "ssl_id", certificate.ssl_id);
    text_member(out, "name", certificate.name);
    text_member(out, "sha256", certificate.sha256);
    text_member(out, "created_at", format_utc_iso8601(certificate.created_at));
    out.key("delete_failed_at");
    write_time(out, certificate.delete_failed_at);
    text_member(out, "delete_error", certificate.delete_error);
    out.end_object();
  }
  out.end_array();
}

void write_target(PrettyJsonWriter& out, const TargetState& target) {
  const auto time = [&out](const char* name, const std::optional<SystemTime>& value) {
    out.key(name);
    write_time(out, value);
  };
  const auto number = [&out](const char* name, int value) {
    out.key(name);
    out.integer(value);
  };
  out.begin_object();
  text_member(out, "binding", target.binding);
  text_member(out, "instance_id", target.instance_id);
  text_member(out, "group_id", target.group_id);
  text_member(out, "domain", target.domain);
  text_member(out, "domain_id", target.domain_id);
  text_member(out, "disk_sha256", target.disk_sha256);
  time("disk_not_after", target.disk_not_after);
  text_member(out, "bound_sha256", target.bound_sha256);
  text_member(out, "bound_name", target.bound_name);
  text_member(out, "ssl_id", target.ssl_id);
  time("bound_at", target.bound_at);
  time("bound_not_after", target.bound_not_after);
  number("cname_status", target.cname_status);
  text_member(out, "last_result",
              target.last_result ? token(*target.last_result) : std::string_view());
  time("last_attempt", target.last_attempt);
  out.key("last_error");
  write_last_error(out, target.last_error);
  number("consecutive_failures", target.consecutive_failures);
  time("next_attempt", target.next_attempt);
  text_member(out, "failed_sha256", target.failed_sha256);
  text_member(out, "verified_sha256", target.verified_sha256);
  time("verified_at", target.verified_at);
  text_member(out, "expiring_sha256", target.expiring_sha256);
  number("bind_successes", target.bind_successes);
  number("bind_failures", target.bind_failures);
  time("last_success", target.last_success);
  out.key("created");
  write_created(out, target.created);
  out.end_object();
}

void write_identity(PrettyJsonWriter& out, const sys::FileIdentity& identity) {
  out.begin_object();
  out.key("device");
  out.unsigned_integer(identity.device);
  out.key("inode");
  out.unsigned_integer(identity.inode);
  out.key("size");
  out.integer(identity.size);
  out.key("mtime_ns");
  out.integer(identity.mtime_ns);
  out.key("ctime_ns");
  out.integer(identity.ctime_ns);
  out.end_object();
}

void write_facts(PrettyJsonWriter& out, const cert::BundleFacts& facts) {
  out.begin_object();
  text_member(out, "cert", facts.paths.cert.string());
  text_member(out, "key", facts.paths.key.string());
  text_member(out, "sha256", facts.sha256);
  text_member(out, "not_before", format_utc_iso8601(facts.not_before));
  text_member(out, "not_after", format_utc_iso8601(facts.not_after));
  out.key("sans");
  out.begin_array();
  for (const std::string& san : facts.sans) {
    out.string(san);
  }
  out.end_array();
  text_member(out, "common_name", facts.common_name);
  text_member(out, "subject", facts.subject);
  text_member(out, "serial", facts.serial);
  text_member(out, "issuer", facts.issuer);
  text_member(out, "key_type", cert::to_string(facts.key_type));
  out.key("key_bits");
  out.integer(facts.key_bits);
  text_member(out, "ec_curve", facts.ec_curve);
  out.key("key_matches_leaf");
  out.boolean(facts.key_matches_leaf);
  out.key("leaf_file_position");
  out.unsigned_integer(facts.leaf_file_position);
  out.key("chain_links");
  out.begin_array();
  for (const cert::ChainLink& link : facts.chain_links) {
    out.begin_object();
    out.key("file_position");
    out.unsigned_integer(link.file_position);
    text_member(out, "subject", link.subject);
    out.key("issues_previous");
    out.boolean(link.issues_previous);
    out.key("issues_other");
    out.boolean(link.issues_other);
    out.key("self_signed");
    out.boolean(link.self_signed);
    out.end_object();
  }
  out.end_array();
  out.key("load_warnings");
  out.begin_array();
  for (const cert::Problem& problem : facts.load_warnings) {
    out.begin_object();
    text_member(out, "severity", cert::to_string(problem.severity));
    text_member(out, "apig_code", problem.apig_code);
    text_member(out, "message", problem.message);
    out.end_object();
  }
  out.end_array();
  out.end_object();
}

void write_bundle(PrettyJsonWriter& out, const BundleCacheEntry& entry) {
  out.begin_object();
  out.key("cert_file");
  write_identity(out, entry.cert_file);
  out.key("key_file");
  write_identity(out, entry.key_file);
  out.key("facts");
  write_facts(out, entry.facts);
  out.end_object();
}

// ---- Reading ----

Error bad_field(const std::string& path, const std::string& problem) {
  return {ErrorCode::ParseError, path + ": " + problem};
}

// Fails with "expected an object, got TYPE" at `path` unless `value` is a JSON object.
Result<void> expect_object(const json& value, const std::string& path) {
  if (!value.is_object()) {
    return fail(bad_field(path, std::string("expected an object, got ") + value.type_name()));
  }
  return {};
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

  Result<void> boolean(const char* key, bool& out) const {
    const json* value = find(key);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_boolean()) {
      return fail(wrong_type(key, "true or false", *value));
    }
    out = value->get<bool>();
    return {};
  }

  // Any integer that fits `Number` (std::int64_t, std::uint64_t, std::size_t).
  template <typename Number>
  Result<void> whole_number(const char* key, Number& out) const {
    const json* value = find(key);
    if (value == nullptr) {
      return {};
    }
    if (value->is_number_unsigned()) {
      const auto number = value->get<std::uint64_t>();
      if (number > static_cast<std::uint64_t>(std::numeric_limits<Number>::max())) {
        return fail(bad_field(field_path(key), "integer out of range"));
      }
      out = static_cast<Number>(number);
      return {};
    }
    if (!value->is_number_integer()) {
      return fail(wrong_type(key, "an integer", *value));
    }
    const auto number = value->get<std::int64_t>();
    if (number < 0 && !std::numeric_limits<Number>::is_signed) {
      return fail(bad_field(field_path(key), "integer out of range"));
    }
    out = static_cast<Number>(number);
    return {};
  }

  Result<void> strings(const char* key, std::vector<std::string>& out) const {
    const json* value = find(key);
    if (value == nullptr) {
      return {};
    }
    if (!value->is_array() || !std::all_of(value->begin(), value->end(),
                                           [](const json& item) { return item.is_string(); })) {
      return fail(wrong_type(key, "an array of strings", *value));
    }
    out = value->get<std::vector<std::string>>();
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
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
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
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
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
          [&] {
            std::string text;
            Result<void> text_read = reader.string("last_result", text);
            target.last_result = parse_target_result(text);
            return text_read;
          },
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

Result<sys::FileIdentity> parse_identity(const json& value, const std::string& path) {
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
  }
  const Reader reader(value, path);
  sys::FileIdentity identity;
  if (auto read = all_of([&] { return reader.whole_number("device", identity.device); },
                         [&] { return reader.whole_number("inode", identity.inode); },
                         [&] { return reader.whole_number("size", identity.size); },
                         [&] { return reader.whole_number("mtime_ns", identity.mtime_ns); },
                         [&] { return reader.whole_number("ctime_ns", identity.ctime_ns); });
      !read) {
    return fail(std::move(read.error()));
  }
  return identity;
}

Result<cert::KeyType> parse_key_type(const std::string& text, const std::string& path) {
  for (const cert::KeyType type :
       {cert::KeyType::Rsa, cert::KeyType::Ec, cert::KeyType::Ed25519, cert::KeyType::Other}) {
    if (cert::to_string(type) == text) {
      return type;
    }
  }
  return fail(bad_field(path, "unknown key type '" + text + "'"));
}

Result<cert::ChainLink> parse_chain_link(const json& value, const std::string& path) {
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
  }
  const Reader reader(value, path);
  cert::ChainLink link;
  if (auto read = all_of([&] { return reader.whole_number("file_position", link.file_position); },
                         [&] { return reader.string("subject", link.subject); },
                         [&] { return reader.boolean("issues_previous", link.issues_previous); },
                         [&] { return reader.boolean("issues_other", link.issues_other); },
                         [&] { return reader.boolean("self_signed", link.self_signed); });
      !read) {
    return fail(std::move(read.error()));
  }
  return link;
}

Result<cert::Problem> parse_problem(const json& value, const std::string& path) {
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
  }
  const Reader reader(value, path);
  cert::Problem problem;
  std::string severity;
  if (auto read = all_of([&] { return reader.string("severity", severity); },
                         [&] { return reader.string("apig_code", problem.apig_code); },
                         [&] { return reader.string("message", problem.message); });
      !read) {
    return fail(std::move(read.error()));
  }
  if (severity == cert::to_string(cert::Severity::Warning)) {
    problem.severity = cert::Severity::Warning;
  } else if (severity != cert::to_string(cert::Severity::Error)) {
    return fail(bad_field(reader.field_path("severity"), "unknown severity '" + severity + "'"));
  }
  return problem;
}

// The elements of the array at `key` (missing: none), each parsed with `parse`.
template <typename T, typename Parse>
Result<void> parse_array(const Reader& reader, const char* key, std::vector<T>& out, Parse parse) {
  auto array = reader.array(key);
  if (!array) {
    return fail(std::move(array.error()));
  }
  if (*array == nullptr) {
    return {};
  }
  const std::string path = reader.field_path(key);
  for (std::size_t i = 0; i < (*array)->size(); ++i) {
    auto parsed = parse((**array)[i], path + "[" + std::to_string(i) + "]");
    if (!parsed) {
      return fail(std::move(parsed.error()));
    }
    out.push_back(std::move(*parsed));
  }
  return {};
}

Result<cert::BundleFacts> parse_facts(const json& value, const std::string& path) {
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
  }
  const Reader reader(value, path);
  cert::BundleFacts facts;
  std::string cert_path;
  std::string key_path;
  std::string key_type;
  if (auto read = all_of(
          [&] { return reader.string("cert", cert_path); },
          [&] { return reader.string("key", key_path); },
          [&] { return reader.string("sha256", facts.sha256); },
          [&] { return reader.time("not_before", facts.not_before); },
          [&] { return reader.time("not_after", facts.not_after); },
          [&] { return reader.strings("sans", facts.sans); },
          [&] { return reader.string("common_name", facts.common_name); },
          [&] { return reader.string("subject", facts.subject); },
          [&] { return reader.string("serial", facts.serial); },
          [&] { return reader.string("issuer", facts.issuer); },
          [&] { return reader.string("key_type", key_type); },
          [&] { return reader.integer("key_bits", facts.key_bits); },
          [&] { return reader.string("ec_curve", facts.ec_curve); },
          [&] { return reader.boolean("key_matches_leaf", facts.key_matches_leaf); },
          [&] { return reader.whole_number("leaf_file_position", facts.leaf_file_position); },
          [&] { return parse_array(reader, "chain_links", facts.chain_links, parse_chain_link); },
          [&] { return parse_array(reader, "load_warnings", facts.load_warnings, parse_problem); });
      !read) {
    return fail(std::move(read.error()));
  }
  // Without a fingerprint or paths the entry cannot stand for any bundle.
  if (facts.sha256.empty() || cert_path.empty() || key_path.empty()) {
    return fail(bad_field(path, "incomplete: sha256, cert and key are required"));
  }
  facts.paths = {cert_path, key_path};
  auto type = parse_key_type(key_type, reader.field_path("key_type"));
  if (!type) {
    return fail(std::move(type.error()));
  }
  facts.key_type = *type;
  return facts;
}

// One bundle cache entry; every part is required (a partial entry would vouch for less than
// it seems to).
Result<BundleCacheEntry> parse_bundle_entry(const json& value, const std::string& path) {
  if (Result<void> object = expect_object(value, path); !object) {
    return fail(std::move(object.error()));
  }
  const Reader reader(value, path);
  BundleCacheEntry entry;
  for (const char* key : {"cert_file", "key_file", "facts"}) {
    auto part = reader.object(key);
    if (!part) {
      return fail(std::move(part.error()));
    }
    if (*part == nullptr) {
      return fail(bad_field(reader.field_path(key), "missing"));
    }
  }
  auto cert_file = parse_identity(value["cert_file"], reader.field_path("cert_file"));
  if (!cert_file) {
    return fail(std::move(cert_file.error()));
  }
  auto key_file = parse_identity(value["key_file"], reader.field_path("key_file"));
  if (!key_file) {
    return fail(std::move(key_file.error()));
  }
  auto facts = parse_facts(value["facts"], reader.field_path("facts"));
  if (!facts) {
    return fail(std::move(facts.error()));
  }
  entry.cert_file = *cert_file;
  entry.key_file = *key_file;
  entry.facts = std::move(*facts);
  return entry;
}

// Builds one JSON value from SAX events, as json::parse() builds a whole document.
class ValueBuilder {
 public:
  void reset() {
    value_ = json();
    open_.clear();
    started_ = false;
  }
  bool started() const { return started_; }
  // A whole value has been built.
  bool complete() const { return started_ && open_.empty(); }
  json& value() { return value_; }

  void add(json value) { (void)place(std::move(value)); }
  void key(std::string& key) { key_ = std::move(key); }
  void open(json container) { open_.push_back(place(std::move(container))); }
  void close() { open_.pop_back(); }

 private:
  // Where a value goes: the root, the end of the open array, or the open object's last key.
  // Pointers to open containers stay valid: an array grows only while its last element,
  // which is not open any more, is the one that moves.
  json* place(json value) {
    started_ = true;
    if (open_.empty()) {
      value_ = std::move(value);
      return &value_;
    }
    json& parent = *open_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      return &parent.back();
    }
    json& slot = parent[key_];
    slot = std::move(value);
    return &slot;
  }

  json value_;
  std::vector<json*> open_;
  std::string key_;
  bool started_ = false;
};

// Reads a state file as a stream of SAX events. Each target and bundle entry is built as a
// small document of its own and converted at once (parse_target(), parse_bundle_entry()),
// so the file is never held as one large document: with 1,000 bindings that document took
// about 20 MiB of fresh memory, and page faults made the first read twice as slow as the
// parse itself. The messages are those of the document-based reader: the root, "version" and
// "targets" are checked as before, and entries go through the same conversions.
class StateSax final : public nlohmann::json_sax<json> {
 public:
  // The state, or the error: a syntax error first, then the root's type, then the version,
  // then the first target that did not convert.
  Result<State> finish(bool parsed) {
    if (!parsed) {
      return fail(ErrorCode::ParseError, "not valid JSON: " + syntax_error_);
    }
    if (root_type_ != "object") {
      return fail(ErrorCode::ParseError, "expected a JSON object, got " + root_type_);
    }
    if (version_type_.empty() || version_type_ == "null") {
      return fail(bad_field("version", "missing"));
    }
    if (version_type_ != "integer") {
      return fail(bad_field("version", "expected an integer, got " + version_type_));
    }
    if (version_ != std::to_string(kStateVersion)) {
      return fail(bad_field("version", "unsupported state version " + version_ +
                                           " (this apig-certd reads version " +
                                           std::to_string(kStateVersion) + ")"));
    }
    if (targets_error_) {
      return fail(std::move(*targets_error_));
    }
    return std::move(state_);
  }

  bool null() override { return primitive(json(nullptr), "null"); }
  bool boolean(bool value) override { return primitive(json(value), "boolean"); }
  bool number_integer(number_integer_t value) override {
    return primitive(json(value), "integer", std::to_string(value));
  }
  bool number_unsigned(number_unsigned_t value) override {
    return primitive(json(value), "integer", std::to_string(value));
  }
  bool number_float(number_float_t value, const string_t& /*text*/) override {
    return primitive(json(value), "number");
  }
  bool string(string_t& value) override { return primitive(json(std::move(value)), "string"); }
  bool binary(binary_t& /*value*/) override { return primitive(json(), "binary"); }

  bool start_object(std::size_t /*elements*/) override { return open(json::object(), "object"); }
  bool start_array(std::size_t /*elements*/) override { return open(json::array(), "array"); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    if (entry_.started()) {
      entry_.key(key);
    } else if (depth_ == 1) {
      root_key_ = std::move(key);
    } else if (depth_ == 2 && section_ != Section::Skip) {
      entry_key_ = std::move(key);
    }
    return true;
  }

  // A syntax error found by read_json().
  void syntax_error(std::string what) { syntax_error_ = std::move(what); }

  // Part of nlohmann's SAX interface, which read_json() does not call: it reports syntax
  // errors through syntax_error().
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*error*/) override {
    return false;
  }

 private:
  enum class Section { Skip, Targets, Bundles };

  // Where a value at `depth_` belongs, before it is added.
  bool in_entry() const { return entry_.started() || (depth_ == 2 && section_ != Section::Skip); }

  bool primitive(json value, const char* type, std::string number = {}) {
    if (in_entry()) {
      entry_.add(std::move(value));
      finish_entry();
    } else if (depth_ == 0) {
      root_type_ = type;
    } else if (depth_ == 1) {
      root_member(type, std::move(number));
    }
    return true;
  }

  bool open(json container, const char* type) {
    if (in_entry()) {
      entry_.open(std::move(container));
    } else if (depth_ == 0) {
      root_type_ = type;
    } else if (depth_ == 1) {
      root_member(type, {});
      if (root_type_ == "object" && type == std::string_view("object")) {
        if (root_key_ == "targets") {
          section_ = Section::Targets;
          state_.targets.clear();  // the last "targets" counts, as in a document
          targets_error_.reset();
        } else if (root_key_ == "bundles") {
          section_ = Section::Bundles;
          state_.bundles.clear();
        }
      }
    }
    ++depth_;
    return true;
  }

  bool close() {
    --depth_;
    if (entry_.started()) {
      entry_.close();
      finish_entry();
    } else if (depth_ == 1) {
      section_ = Section::Skip;
    }
    return true;
  }

  // A value of the root object (only when the root is an object).
  void root_member(const char* type, std::string number) {
    if (root_type_ != "object") {
      return;
    }
    if (root_key_ == "version") {
      version_type_ = type;
      version_ = std::move(number);
    } else if (root_key_ == "targets") {
      state_.targets.clear();
      targets_error_.reset();
      if (type != std::string_view("null") && type != std::string_view("object")) {
        const std::string got = std::string_view(type) == "integer" ? "number" : type;
        targets_error_ = bad_field("targets", "expected an object, got " + got);
      }
    } else if (root_key_ == "bundles") {
      state_.bundles.clear();
    }
  }

  // Converts the entry just completed, if it is complete.
  void finish_entry() {
    if (!entry_.complete()) {
      return;
    }
    if (section_ == Section::Targets) {
      if (!targets_error_) {
        // Keys are quoted in messages because they contain '/' and '.'.
        auto target = parse_target(entry_.value(), "targets[\"" + entry_key_ + "\"]");
        if (target) {
          state_.targets.insert_or_assign(entry_key_, std::move(*target));
        } else {
          targets_error_ = std::move(target.error());
        }
      }
    } else {
      // The bundle cache: whatever is wrong with it only costs a parse.
      auto entry = parse_bundle_entry(entry_.value(), "bundles[\"" + entry_key_ + "\"]");
      if (entry) {
        state_.bundles.insert_or_assign(entry_key_, std::move(*entry));
      } else {
        state_.bundles.erase(entry_key_);
      }
    }
    entry_.reset();
  }

  State state_;
  int depth_ = 0;  // containers open around the next event
  std::string root_type_;
  std::string root_key_;
  Section section_ = Section::Skip;
  std::string entry_key_;
  ValueBuilder entry_;
  std::string version_type_;  // "" when absent
  std::string version_;       // the integer, as written
  std::optional<Error> targets_error_;
  std::string syntax_error_;
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

void write_json(const State& state, const std::function<void(std::string_view piece)>& write) {
  // Whole targets and entries go into the buffer; it is handed on once past this size.
  constexpr std::size_t kPiece = 64UL * 1024;
  std::string text;
  text.reserve(kPiece + 8UL * 1024);
  const auto flush = [&](std::size_t at_least) {
    if (text.size() >= at_least) {
      write(text);
      text.clear();
    }
  };
  PrettyJsonWriter out(text);
  out.begin_object();
  out.key("version");
  out.integer(state.version);
  out.key("targets");
  out.begin_object();
  for (const auto& [key, target] : state.targets) {
    out.key(key);
    write_target(out, target);
    flush(kPiece);
  }
  out.end_object();
  out.key("bundles");
  out.begin_object();
  for (const auto& [binding, entry] : state.bundles) {
    out.key(binding);
    write_bundle(out, entry);
    flush(kPiece);
  }
  out.end_object();
  out.end_object();
  text += '\n';
  flush(0);
}

std::string to_json(const State& state) {
  std::string text;
  // About 1.2 KiB per target and 1 KiB per cached bundle: one allocation in the common case.
  text.reserve(256 + 1280 * state.targets.size() + 1152 * state.bundles.size());
  write_json(state, [&text](std::string_view piece) { text.append(piece); });
  return text;
}

Result<State> parse_state(std::string_view text) {
  StateSax reader;
  std::string syntax_error;
  const bool parsed = read_json(text, reader, syntax_error);
  if (!parsed) {
    reader.syntax_error(std::move(syntax_error));
  }
  return reader.finish(parsed);
}

}  // namespace apig_certd::state
