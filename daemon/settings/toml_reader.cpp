// Typed, reporting access to toml++ tables.
//
// toml++ gives every key and value a source region; we turn its begin into the
// "FILE:LINE:COLUMN" of our messages. Wrong types are reported with both the expected and
// the actual TOML type ("'concurrency' must be an integer, got string") and never with the
// value: the key may hold something secret, and the type is what the operator must fix.
// Unknown keys get a "did you mean" (closest_match) or, when the key is valid elsewhere,
// the table it belongs in, because a key pasted under the wrong header is the common slip.

#include "daemon/settings/toml_reader.h"

#include <limits>

#include "daemon/core/in_quotes.h"
#include "daemon/settings/validation.h"

namespace apig_certd::settings {

namespace {

SourceLocation from_region(const toml::source_region& region, const Diagnostics& diagnostics) {
  if (region.begin.line == 0) {
    return diagnostics.whole_file();
  }
  return diagnostics.at(static_cast<int>(region.begin.line), static_cast<int>(region.begin.column));
}

void wrong_type(const toml::node& node, std::string_view key, std::string_view expected,
                Diagnostics& diagnostics) {
  diagnostics.error(location_of(node, diagnostics), in_quotes(key) + " must be " +
                                                        std::string(expected) + ", got " +
                                                        std::string(type_name(node)));
}

std::string unknown_key_message(std::string_view key, const Section& section,
                                std::span<const Section> all_sections) {
  std::string message = "unknown key " + in_quotes(key) + " in " + std::string(section.name);
  if (const auto match = closest_match(key, section.keys)) {
    return message + "; did you mean " + in_quotes(*match) + "?";
  }
  for (const Section& other : all_sections) {
    for (const std::string_view candidate : other.keys) {
      if (candidate == key && other.name != section.name) {
        return message + "; it belongs in " + std::string(other.name);
      }
    }
  }
  message += "; expected one of: ";
  bool first = true;
  for (const std::string_view candidate : section.keys) {
    message += first ? "" : ", ";
    message += candidate;
    first = false;
  }
  return message;
}

}  // namespace

SourceLocation location_of(const toml::node& node, const Diagnostics& diagnostics) {
  return from_region(node.source(), diagnostics);
}

SourceLocation location_of(const toml::key& key, const Diagnostics& diagnostics) {
  return from_region(key.source(), diagnostics);
}

SourceLocation value_location(const toml::table& table, std::string_view key,
                              const Diagnostics& diagnostics) {
  const toml::node* node = table.get(key);
  return location_of(node != nullptr ? *node : table, diagnostics);
}

SourceLocation key_location(const toml::table& table, std::string_view key,
                            const Diagnostics& diagnostics) {
  const auto it = table.find(key);
  if (it == table.end()) {
    return location_of(table, diagnostics);
  }
  return location_of(it->first, diagnostics);
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::optional<std::string> read_string(const toml::table& table, std::string_view key,
                                       Diagnostics& diagnostics) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (const auto* value = node->as_string()) {
    return value->get();
  }
  wrong_type(*node, key, "a string", diagnostics);
  return std::nullopt;
}

std::optional<bool> read_bool(const toml::table& table, std::string_view key,
                              Diagnostics& diagnostics) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (const auto* value = node->as_boolean()) {
    return value->get();
  }
  wrong_type(*node, key, "a boolean (true or false)", diagnostics);
  return std::nullopt;
}

std::optional<std::int64_t> read_integer(const toml::table& table, std::string_view key,
                                         Diagnostics& diagnostics) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (const auto* value = node->as_integer()) {
    return value->get();
  }
  wrong_type(*node, key, "an integer", diagnostics);
  return std::nullopt;
}

std::optional<int> read_int_in_range(const toml::table& table, std::string_view key, int minimum,
                                     int maximum, Diagnostics& diagnostics) {
  const std::optional<std::int64_t> value = read_integer(table, key, diagnostics);
  if (!value) {
    return std::nullopt;
  }
  if (*value < minimum || *value > maximum) {
    const std::string range =
        maximum == std::numeric_limits<int>::max()
            ? "at least " + std::to_string(minimum)
            : "from " + std::to_string(minimum) + " to " + std::to_string(maximum);
    diagnostics.error(value_location(table, key, diagnostics),
                      in_quotes(key) + " must be " + range + ", got " + std::to_string(*value));
    return std::nullopt;
  }
  return static_cast<int>(*value);
}

std::optional<Duration> read_duration(const toml::table& table, std::string_view key,
                                      Diagnostics& diagnostics) {
  const toml::node* node = table.get(key);
  if (node == nullptr) {
    return std::nullopt;
  }
  if (const auto* integer = node->as_integer()) {
    const std::int64_t seconds = integer->get();
    if (seconds < 0 || seconds > std::numeric_limits<std::int64_t>::max() / 1000) {
      diagnostics.error(location_of(*node, diagnostics),
                        in_quotes(key) + " must be a duration of 0 seconds or more, got " +
                            std::to_string(seconds));
      return std::nullopt;
    }
    return std::chrono::duration_cast<Duration>(std::chrono::seconds(seconds));
  }
  if (const auto* text = node->as_string()) {
    Result<Duration> duration = parse_duration(text->get());
    if (!duration) {
      diagnostics.error(location_of(*node, diagnostics),
                        in_quotes(key) + ": " + duration.error().message());
      return std::nullopt;
    }
    return *duration;
  }
  wrong_type(*node, key, "a duration such as \"30s\" or an integer of seconds", diagnostics);
  return std::nullopt;
}

std::optional<std::filesystem::path> read_path(const toml::table& table, std::string_view key,
                                               const std::filesystem::path& base,
                                               Diagnostics& diagnostics) {
  const std::optional<std::string> text = read_string(table, key, diagnostics);
  if (!text) {
    return std::nullopt;
  }
  if (text->empty()) {
    return std::filesystem::path();
  }
  std::filesystem::path path(*text);
  if (path.is_relative()) {
    path = base / path;
  }
  return path.lexically_normal();
}

const toml::table* read_table(const toml::table& parent, std::string_view key,
                              Diagnostics& diagnostics) {
  const toml::node* node = parent.get(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (const auto* table = node->as_table()) {
    return table;
  }
  wrong_type(*node, key, "a table ([" + std::string(key) + "])", diagnostics);
  return nullptr;
}

const toml::array* read_array_of_tables(const toml::table& parent, std::string_view key,
                                        std::string_view header, Diagnostics& diagnostics) {
  const toml::node* node = parent.get(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (const auto* array = node->as_array(); array != nullptr && array->is_array_of_tables()) {
    return array;
  }
  const std::string_view actual = node->is_array() ? "an array of other values" : type_name(*node);
  diagnostics.error(location_of(*node, diagnostics),
                    in_quotes(key) + " must be an array of tables, each written " +
                        std::string(header) + ", got " + std::string(actual));
  return nullptr;
}

void check_unknown_keys(const toml::table& table, const Section& section,
                        std::span<const Section> all_sections, SpecialKeyMessage special,
                        Diagnostics& diagnostics) {
  for (const auto& [key, node] : table) {
    const std::string_view name = key.str();
    bool known = false;
    for (const std::string_view candidate : section.keys) {
      known = known || candidate == name;
    }
    if (known) {
      continue;
    }
    std::optional<std::string> message = special != nullptr ? special(name) : std::nullopt;
    if (!message) {
      message = unknown_key_message(name, section, all_sections);
    }
    diagnostics.error(location_of(key, diagnostics), std::move(*message));
  }
}

}  // namespace apig_certd::settings
