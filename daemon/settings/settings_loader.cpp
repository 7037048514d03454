// The config loader: TOML text -> Settings, with every problem reported at its position.
//
// Approach: toml++ parses the whole file into a tree (syntax errors are its exceptions,
// caught here and turned into "FILE:LINE:COLUMN: ..."); then each table is read by a small
// function that knows its keys, types, defaults and ranges, and reports into one
// Diagnostics instead of returning at the first problem. An operator who runs
// `apig-certd check` sees all the mistakes of a file at once, in file order.
//
// Why so strict: a daemon that runs unattended for months must refuse a config it might
// misunderstand. A misspelt key would otherwise silently keep a default (say, drift =
// "repair" when "report" was meant), so unknown keys are errors, with a suggestion.
//
// This file holds the entry points, the top level, [daemon], [apig], [poll], [retry] and
// [[notify]]; [auth] is in auth_loader.cpp and [[binding]] in binding_loader.cpp.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <system_error>
#include <utility>

#include "daemon/core/in_quotes.h"
#include "daemon/settings/file_reader.h"
#include "daemon/settings/headers_file.h"
#include "daemon/settings/loader_parts.h"
#include "daemon/settings/validation.h"

namespace apig_certd::settings {

namespace {

// A [[binding]] with one target takes about 200-300 bytes: 16 MiB holds the 10,000 bindings
// allowed (kMaxBindings) with room to spare; 1 MiB refused them.
constexpr std::size_t kMaxConfigSize = std::size_t{16} << 20;

constexpr std::array<Choice<LogLevel>, 5> kLogLevels{{
    {"trace", LogLevel::Trace},
    {"debug", LogLevel::Debug},
    {"info", LogLevel::Info},
    {"warn", LogLevel::Warn},
    {"error", LogLevel::Error},
}};
constexpr std::array<Choice<DriftPolicy>, 2> kDriftPolicies{{
    {"repair", DriftPolicy::Repair},
    {"report", DriftPolicy::Report},
}};
constexpr std::array<std::string_view, 5> kEventNames{"bound", "failed", "recovered", "expiring",
                                                      "drift"};
constexpr std::array<NotifyEvent, 5> kEvents{NotifyEvent::Bound, NotifyEvent::Failed,
                                             NotifyEvent::Recovered, NotifyEvent::Expiring,
                                             NotifyEvent::Drift};

// The event spelt `name`, if any.
std::optional<NotifyEvent> event_named(std::string_view name) {
  for (const NotifyEvent event : kEvents) {
    if (to_string(event) == name) {
      return event;
    }
  }
  return std::nullopt;
}

// Why `element` of `on` is not an event, with a suggestion when one is close.
std::string bad_event_message(const toml::node& element) {
  const auto* name = element.as_string();
  if (name == nullptr) {
    return "'on' lists a " + std::string(type_name(element)) +
           "; expected event names such as \"failed\"";
  }
  std::string message = "'on' lists unknown event \"" + name->get() + "\"";
  const auto match = closest_match(name->get(), kEventNames);
  return message + (match ? "; did you mean \"" + std::string(*match) + "\"?"
                          : "; expected bound, failed, recovered, expiring or drift");
}

template <typename T>
void assign(std::optional<T> value, T& target) {
  if (value) {
    target = std::move(*value);
  }
}

enum class Bound { Inclusive, Exclusive };

// Reads a duration and checks it against a lower bound (">= minimum" or "> minimum").
void read_duration_at_least(const toml::table& table, std::string_view key, Duration minimum,
                            Bound bound, Duration& target, Diagnostics& diagnostics) {
  const std::optional<Duration> value = read_duration(table, key, diagnostics);
  if (!value) {
    return;
  }
  const bool too_small = bound == Bound::Inclusive ? *value < minimum : *value <= minimum;
  if (too_small) {
    const std::string relation = bound == Bound::Inclusive ? "at least " : "more than ";
    diagnostics.error(value_location(table, key, diagnostics),
                      in_quotes(key) + " must be " + relation + format_duration(minimum) +
                          ", got " + format_duration(*value));
    return;
  }
  target = *value;
}

void read_daemon(const toml::table& table, LoadContext& context, DaemonSettings& daemon) {
  Diagnostics& diagnostics = context.diagnostics;
  check_unknown_keys(table, section("[daemon]"), kSections, inline_secret_message, diagnostics);
  if (const auto state_dir = read_path(table, "state_dir", context.base_directory, diagnostics)) {
    if (state_dir->empty()) {
      diagnostics.error(value_location(table, "state_dir", diagnostics),
                        "'state_dir' must not be empty; expected a directory such as "
                        "\"/var/lib/apig-certd\"");
    } else {
      daemon.state_dir = *state_dir;
    }
  }
  read_duration_at_least(table, "rescan_interval", std::chrono::seconds(1), Bound::Inclusive,
                         daemon.rescan_interval, diagnostics);
  assign(read_duration(table, "debounce", diagnostics), daemon.debounce);
  assign(read_duration(table, "renew_warning", diagnostics), daemon.renew_warning);
  assign(read_duration(table, "jitter", diagnostics), daemon.jitter);
  assign(read_int_in_range(table, "concurrency", 1, 64, diagnostics), daemon.concurrency);
  assign(read_path(table, "metrics_file", context.base_directory, diagnostics),
         daemon.metrics_file);
  assign(read_choice<LogLevel>(table, "log_level", kLogLevels, diagnostics), daemon.log_level);
  assign(read_choice<DriftPolicy>(table, "drift", kDriftPolicies, diagnostics), daemon.drift);
}

// "https://apig.cn-north-4.myhuaweicloud.com"; eu-west-101 lives under myhuaweicloud.eu
// (Huawei's SDK region tables, REFERENCE.md §1).
std::string default_endpoint(std::string_view service, std::string_view region) {
  const std::string_view domain =
      region == "eu-west-101" ? "myhuaweicloud.eu" : "myhuaweicloud.com";
  return "https://" + std::string(service) + "." + std::string(region) + "." + std::string(domain);
}

void read_apig_identity(const toml::table* table, LoadContext& context, ApigSettings& apig) {
  Diagnostics& diagnostics = context.diagnostics;
  const SourceLocation where =
      table != nullptr ? location_of(*table, diagnostics) : diagnostics.whole_file();
  const std::optional<std::string> region =
      table != nullptr ? read_string(*table, "region", diagnostics) : std::nullopt;
  if (region && !is_valid_region(*region)) {
    diagnostics.error(value_location(*table, "region", diagnostics),
                      "'region' must be a region name such as \"cn-north-4\" (lower-case "
                      "letters, digits and '-'), got \"" +
                          *region + "\"");
  } else {
    assign(region, apig.region);
  }
  const std::optional<std::string> project_id =
      table != nullptr ? read_string(*table, "project_id", diagnostics) : std::nullopt;
  if (!project_id) {
    if (table == nullptr || table->get("project_id") == nullptr) {
      diagnostics.error(where,
                        "[apig] has no 'project_id'; expected project_id = \"...\" (the "
                        "project ID of the region, from the console's API credentials)");
    }
  } else if (!is_valid_id(*project_id)) {
    diagnostics.error(value_location(*table, "project_id", diagnostics),
                      "'project_id' must be a project ID (letters, digits and '-', e.g. 32 hex "
                      "characters), got \"" +
                          *project_id + "\"");
  } else {
    apig.project_id = *project_id;
  }
}

void read_apig(const toml::table* table, LoadContext& context, ApigSettings& apig) {
  Diagnostics& diagnostics = context.diagnostics;
  read_apig_identity(table, context, apig);
  apig.endpoint = default_endpoint("apig", apig.region);
  if (table == nullptr) {
    return;
  }
  check_unknown_keys(*table, section("[apig]"), kSections, inline_secret_message, diagnostics);
  assign(read_path(*table, "ca_file", context.base_directory, diagnostics), apig.ca_file);
  read_duration_at_least(*table, "timeout", Duration::zero(), Bound::Exclusive, apig.timeout,
                         diagnostics);
  assign(read_bool(*table, "insecure_http", diagnostics), apig.insecure_http);
  const std::optional<std::string> endpoint = read_string(*table, "endpoint", diagnostics);
  if (endpoint && !endpoint->empty()) {
    assign(check_endpoint(*endpoint, "endpoint", apig.insecure_http,
                          value_location(*table, "endpoint", diagnostics), diagnostics),
           apig.endpoint);
  }
}

void read_poll_and_retry(const toml::table& root, Settings& settings, Diagnostics& diagnostics) {
  if (const toml::table* poll = read_table(root, "poll", diagnostics)) {
    check_unknown_keys(*poll, section("[poll]"), kSections, inline_secret_message, diagnostics);
    read_duration_at_least(*poll, "interval", Duration::zero(), Bound::Exclusive,
                           settings.poll.interval, diagnostics);
    read_duration_at_least(*poll, "timeout", Duration::zero(), Bound::Exclusive,
                           settings.poll.timeout, diagnostics);
  }
  const toml::table* retry = read_table(root, "retry", diagnostics);
  if (retry == nullptr) {
    return;
  }
  check_unknown_keys(*retry, section("[retry]"), kSections, inline_secret_message, diagnostics);
  read_duration_at_least(*retry, "initial", Duration::zero(), Bound::Exclusive,
                         settings.retry.initial, diagnostics);
  const std::optional<Duration> max = read_duration(*retry, "max", diagnostics);
  if (max && *max < settings.retry.initial) {
    diagnostics.error(value_location(*retry, "max", diagnostics),
                      "'max' (" + format_duration(*max) + ") must not be less than 'initial' (" +
                          format_duration(settings.retry.initial) +
                          "); expected the longest wait between retries");
  } else {
    assign(max, settings.retry.max);
  }
}

std::optional<std::vector<NotifyEvent>> read_events(const toml::table& table,
                                                    Diagnostics& diagnostics) {
  const toml::node* node = table.get("on");
  if (node == nullptr) {
    return std::vector<NotifyEvent>(kEvents.begin(), kEvents.end());
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || array->empty()) {
    diagnostics.error(location_of(*node, diagnostics),
                      "'on' must be a non-empty array of events, got " +
                          std::string(array == nullptr ? type_name(*node) : "[]") +
                          R"(; expected e.g. on = ["failed", "expiring"])");
    return std::nullopt;
  }
  std::vector<NotifyEvent> events;
  bool valid = true;
  for (const toml::node& element : *array) {
    const auto* name = element.as_string();
    const std::optional<NotifyEvent> event =
        name != nullptr ? event_named(name->get()) : std::nullopt;
    if (!event) {
      diagnostics.error(location_of(element, diagnostics), bad_event_message(element));
      valid = false;
    } else if (std::find(events.begin(), events.end(), *event) == events.end()) {
      events.push_back(*event);
    }
  }
  return valid ? std::optional(std::move(events)) : std::nullopt;
}

// A webhook URL: https, or http to a loopback host. Only the scheme and host are quoted:
// webhook URLs often carry a token in their path or query.
void read_notify_url(const toml::table& table, NotifySettings& notify, Diagnostics& diagnostics) {
  const std::optional<std::string> url = read_string(table, "url", diagnostics);
  if (!url) {
    if (table.get("url") == nullptr) {
      diagnostics.error(location_of(table, diagnostics),
                        "[[notify]] has no 'url'; expected url = \"https://...\"");
    }
    return;
  }
  const SourceLocation where = value_location(table, "url", diagnostics);
  const Result<Url> parsed = parse_url(*url);
  if (!parsed) {
    diagnostics.error(where, "'url' is not a valid URL: " + parsed.error().message() +
                                 "; expected https://HOST/PATH");
    return;
  }
  const bool loopback_http = parsed->scheme == "http" && is_loopback_host(parsed->host);
  if (parsed->scheme != "https" && !loopback_http) {
    diagnostics.error(where,
                      "'url' must be an https:// URL (http:// only to a loopback host), "
                      "got " +
                          parsed->scheme + ":// to '" + parsed->host + "'");
    return;
  }
  notify.url = *url;
}

// A headers file's lines are part of the config: each invalid one is an error at its own
// "file:line". The values are read only to be checked, and wiped.
void check_headers_file(const std::filesystem::path& path, const SourceLocation& where,
                        LoadContext& context) {
  const Result<ParsedHeaders> parsed = parse_headers_file(path, context.environment);
  if (!parsed) {
    context.diagnostics.error(where, parsed.error().to_string());
    return;
  }
  for (const HeaderProblem& problem : parsed->problems) {
    context.diagnostics.error({path.string(), problem.line, 1}, problem.message);
  }
}

void read_notify(const toml::table& root, LoadContext& context, Settings& settings) {
  Diagnostics& diagnostics = context.diagnostics;
  const toml::array* array = read_array_of_tables(root, "notify", "[[notify]]", diagnostics);
  if (array == nullptr) {
    return;
  }
  for (const toml::node& element : *array) {
    const toml::table& table = *element.as_table();
    check_unknown_keys(table, section("[[notify]]"), kSections, inline_secret_message, diagnostics);
    NotifySettings notify;
    notify.location = location_of(table, diagnostics);
    read_notify_url(table, notify, diagnostics);
    assign(read_path(table, "ca_file", context.base_directory, diagnostics), notify.ca_file);
    const auto headers = read_path(table, "headers_file", context.base_directory, diagnostics);
    if (headers && !headers->empty()) {
      const SourceLocation where = value_location(table, "headers_file", diagnostics);
      if (check_secret_file(*headers, "headers_file '" + headers->string() + "'", where,
                            diagnostics)) {
        check_headers_file(*headers, where, context);
      }
      notify.headers_file = *headers;
    }
    assign(read_events(table, diagnostics), notify.on);
    settings.notify.push_back(std::move(notify));
  }
}

Settings read_root(const toml::table& root, LoadContext& context) {
  Diagnostics& diagnostics = context.diagnostics;
  Settings settings;
  check_unknown_keys(root, section("the top level"), kSections, inline_secret_message, diagnostics);
  if (const toml::table* daemon = read_table(root, "daemon", diagnostics)) {
    read_daemon(*daemon, context, settings.daemon);
  }
  const toml::node* apig_node = root.get("apig");
  const toml::table* apig = read_table(root, "apig", diagnostics);
  if (apig_node == nullptr || apig != nullptr) {
    read_apig(apig, context, settings.apig);
  }
  const toml::node* auth_node = root.get("auth");
  const toml::table* auth = read_table(root, "auth", diagnostics);
  if (auth_node == nullptr || auth != nullptr) {
    read_auth(auth, context, settings);
  }
  read_poll_and_retry(root, settings, diagnostics);
  read_bindings(root, context, settings);
  read_notify(root, context, settings);
  return settings;
}

// The line `line` (1-based) of `text`.
std::string_view line_of(std::string_view text, std::size_t line) {
  for (std::size_t current = 1; current < line; ++current) {
    const std::size_t newline = text.find('\n');
    if (newline == std::string_view::npos) {
      return {};
    }
    text.remove_prefix(newline + 1);
  }
  return text.substr(0, text.find('\n'));
}

// toml++ may quote part of the offending value; when that line assigns to a key whose name
// suggests a secret, the description is withheld.
std::string syntax_message(const toml::parse_error& error, std::string_view text,
                           const std::string& file) {
  const toml::source_position begin = error.source().begin;
  const std::string_view line = line_of(text, begin.line);
  const std::size_t equals = line.find('=');
  std::string description(error.description());
  if (equals != std::string_view::npos && is_secret_like_key(line.substr(0, equals))) {
    description =
        "the value is not valid TOML (not shown, as it may be a secret); strings "
        "must be in double quotes";
  }
  return file + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
         ": TOML syntax error: " + description;
}

}  // namespace

const Section& section(std::string_view name) {
  for (const Section& candidate : kSections) {
    if (candidate.name == name) {
      return candidate;
    }
  }
  return kSections.front();
}

std::optional<std::string> check_endpoint(std::string_view value, std::string_view key,
                                          bool insecure_http, const SourceLocation& location,
                                          Diagnostics& diagnostics) {
  const std::string name = in_quotes(key);
  const Result<Url> url = parse_url(value);
  if (!url) {
    diagnostics.error(location, name + " is not a valid URL: " + url.error().message() +
                                    "; expected e.g. https://apig.cn-north-4.myhuaweicloud.com");
    return std::nullopt;
  }
  if (url->scheme == "http") {
    if (!insecure_http) {
      diagnostics.error(location, name +
                                      ": http endpoint requires insecure_http = true "
                                      "(loopback only); expected an https:// URL");
      return std::nullopt;
    }
    if (!is_loopback_host(url->host)) {
      diagnostics.error(location, name +
                                      ": insecure_http is only honoured for loopback hosts, "
                                      "not '" +
                                      url->host + "'; expected an https:// URL");
      return std::nullopt;
    }
  } else if (url->scheme != "https") {
    diagnostics.error(location,
                      name + " must be an https:// URL, got scheme '" + url->scheme + "'");
    return std::nullopt;
  }
  if (url->path.find('?') != std::string::npos) {
    diagnostics.error(location, name +
                                    " must not have a query string ('?'); expected "
                                    "https://HOST[:PORT][/PATH]");
    return std::nullopt;
  }
  std::string normalized(value);
  while (normalized.ends_with('/')) {
    normalized.pop_back();
  }
  return normalized;
}

// The regions with an IAM endpoint of their own, as Huawei's Go SDK lists them
// (core/auth/internal/iam_endpoint.go, plus eu-west-101 from services/iam/v3/region); the SDK
// sends every other region to the global endpoint, and so do we.
constexpr std::array<std::string_view, 27> kRegionalIam{
    "af-south-1",     "ae-ad-1",        "ap-southeast-1",   "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "cn-east-2",      "cn-east-3",        "cn-east-4",      "cn-east-5",
    "cn-north-1",     "cn-north-2",     "cn-north-4",       "cn-north-9",     "cn-south-1",
    "cn-south-2",     "cn-southwest-2", "eu-west-0",        "eu-west-101",    "la-north-2",
    "la-south-2",     "me-east-1",      "my-kualalumpur-1", "na-mexico-1",    "ru-moscow-1",
    "sa-brazil-1",    "tr-west-1"};

std::string default_iam_endpoint(std::string_view region) {
  if (std::find(kRegionalIam.begin(), kRegionalIam.end(), region) == kRegionalIam.end()) {
    return "https://iam.myhuaweicloud.com";
  }
  return default_endpoint("iam", region);
}

Result<Settings> parse_settings(std::string_view text, const std::filesystem::path& file,
                                const Environment& environment) {
  const std::string name = file.string();
  if (text.size() > kMaxConfigSize) {
    return fail(ErrorCode::InvalidArgument,
                name + ": the config is larger than 16 MiB; expected a TOML config file");
  }
  toml::table root;
  try {
    root = toml::parse(text, std::string_view(name));
  } catch (const toml::parse_error& error) {
    return fail(ErrorCode::ParseError, syntax_message(error, text, name));
  }
  Diagnostics diagnostics(name);
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(file, error);
  if (error) {
    absolute = file;
  }
  LoadContext context{diagnostics, environment, absolute.lexically_normal().parent_path()};
  Settings settings = read_root(root, context);
  if (diagnostics.has_errors()) {
    return fail(ErrorCode::InvalidArgument, diagnostics.error_text());
  }
  settings.source_file = file;
  settings.warnings = diagnostics.warning_lines();
  return settings;
}

Result<Settings> load_settings(const std::filesystem::path& file, const Environment& environment) {
  Result<FileContent> content =
      read_small_file(file, kMaxConfigSize, "config file '" + file.string() + "'");
  if (!content) {
    return fail(std::move(content.error()));
  }
  return parse_settings(content->bytes, file, environment);
}

}  // namespace apig_certd::settings
