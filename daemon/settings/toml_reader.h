#pragma once

// Typed access to toml++ tables that reports problems instead of throwing or guessing.
//
// Internal to settings/ (the only folder that may include toml++). Every reader takes the
// table, the key and the Diagnostics; when the key is absent it returns nullopt silently,
// when the value has the wrong type or is out of range it records an error at the value's
// position and returns nullopt. Callers keep their defaults on nullopt, so loading goes on
// and finds the next problem too.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <toml++/toml.h>

#include "daemon/core/duration.h"
#include "daemon/core/in_quotes.h"
#include "daemon/settings/diagnostics.h"

namespace apig_certd::settings {

// The position of a value, key or table header.
SourceLocation location_of(const toml::node& node, const Diagnostics& diagnostics);
SourceLocation location_of(const toml::key& key, const Diagnostics& diagnostics);
// The position of the value of `key` inside `table`, or of the table when absent.
SourceLocation value_location(const toml::table& table, std::string_view key,
                              const Diagnostics& diagnostics);
// The position of `key` itself inside `table`, or of the table when absent.
SourceLocation key_location(const toml::table& table, std::string_view key,
                            const Diagnostics& diagnostics);

// "string", "integer", "table", "array", ... as a TOML user would say it.
std::string_view type_name(const toml::node& node);

std::optional<std::string> read_string(const toml::table& table, std::string_view key,
                                       Diagnostics& diagnostics);
std::optional<bool> read_bool(const toml::table& table, std::string_view key,
                              Diagnostics& diagnostics);
std::optional<std::int64_t> read_integer(const toml::table& table, std::string_view key,
                                         Diagnostics& diagnostics);
// An integer within [minimum, maximum]; outside it is an error naming the range.
std::optional<int> read_int_in_range(const toml::table& table, std::string_view key, int minimum,
                                     int maximum, Diagnostics& diagnostics);
// A duration string ("90s", parse_duration) or an integer of seconds >= 0.
std::optional<Duration> read_duration(const toml::table& table, std::string_view key,
                                      Diagnostics& diagnostics);
// A path string; relative paths are made absolute against `base`. "" stays empty.
std::optional<std::filesystem::path> read_path(const toml::table& table, std::string_view key,
                                               const std::filesystem::path& base,
                                               Diagnostics& diagnostics);

// One spelling of an enum value, for read_choice.
template <typename Enum>
struct Choice {
  std::string_view spelling;
  Enum value;
};

// A string that must be one of `choices` (exact spelling).
template <typename Enum>
std::optional<Enum> read_choice(const toml::table& table, std::string_view key,
                                std::span<const Choice<Enum>> choices, Diagnostics& diagnostics) {
  const std::optional<std::string> text = read_string(table, key, diagnostics);
  if (!text) {
    return std::nullopt;
  }
  for (const Choice<Enum>& choice : choices) {
    if (choice.spelling == *text) {
      return choice.value;
    }
  }
  std::string expected;
  for (const Choice<Enum>& choice : choices) {
    expected += expected.empty() ? "" : ", ";
    expected += "\"" + std::string(choice.spelling) + "\"";
  }
  diagnostics.error(value_location(table, key, diagnostics),
                    in_quotes(key) + " must be one of " + expected + ", got \"" + *text + "\"");
  return std::nullopt;
}

// A sub-table `key` of `parent`: nullptr when absent, or (with an error) when not a table.
const toml::table* read_table(const toml::table& parent, std::string_view key,
                              Diagnostics& diagnostics);
// An array of tables `key` ([[key]]): nullptr when absent, or (with an error) when it is
// something else. `header` is how the user writes it, e.g. "[[binding.target]]".
const toml::array* read_array_of_tables(const toml::table& parent, std::string_view key,
                                        std::string_view header, Diagnostics& diagnostics);

// The keys one table accepts, for unknown-key checks.
struct Section {
  std::string_view name;  // As written in messages: "[daemon]", "[[binding]]".
  std::span<const std::string_view> keys;
};

// Reports every key of `table` that `section` does not accept, with a "did you mean" for a
// near miss, or the section it belongs to when it is a key of one of `all_sections`.
// `special` may claim a key first: it returns a message for keys it knows (e.g. inline
// secrets), or nullopt to fall back to the generic message.
using SpecialKeyMessage = std::optional<std::string> (*)(std::string_view key);
void check_unknown_keys(const toml::table& table, const Section& section,
                        std::span<const Section> all_sections, SpecialKeyMessage special,
                        Diagnostics& diagnostics);

}  // namespace apig_certd::settings
