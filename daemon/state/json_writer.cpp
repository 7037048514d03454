// PrettyJsonWriter. Strings of plain printable ASCII (nearly all of the state: ids,
// fingerprints, times, names) are copied between quotes; any other string is escaped by
// nlohmann-json itself, so escapes and the replacement of invalid UTF-8 stay exactly its own.

#include "daemon/state/json_writer.h"

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

namespace apig_certd::state {

namespace {

constexpr std::size_t kIndent = 2;

bool needs_escaping(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      return true;
    }
  }
  return false;
}

}  // namespace

void PrettyJsonWriter::next_line() {
  Level& level = levels_.back();
  if (!level.empty) {
    out_ += ',';
  }
  level.empty = false;
  out_ += '\n';
  out_.append(levels_.size() * kIndent, ' ');
}

void PrettyJsonWriter::start_value() {
  if (!levels_.empty() && levels_.back().array) {
    next_line();
  }
}

void PrettyJsonWriter::key(std::string_view name) {
  next_line();
  quoted(name);
  out_ += ": ";
}

void PrettyJsonWriter::open(char bracket, bool array) {
  start_value();
  out_ += bracket;
  levels_.push_back({array, true});
}

void PrettyJsonWriter::close(char bracket) {
  const bool empty = levels_.back().empty;
  levels_.pop_back();
  if (!empty) {
    out_ += '\n';
    out_.append(levels_.size() * kIndent, ' ');
  }
  out_ += bracket;
}

void PrettyJsonWriter::quoted(std::string_view text) {
  if (!needs_escaping(text)) {
    out_ += '"';
    out_ += text;
    out_ += '"';
    return;
  }
  out_ += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrettyJsonWriter::string(std::string_view text) {
  start_value();
  quoted(text);
}

void PrettyJsonWriter::integer(std::int64_t number) {
  start_value();
  std::array<char, 24> digits{};
  const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), number);
  out_.append(digits.data(), written.ptr);
}

void PrettyJsonWriter::unsigned_integer(std::uint64_t number) {
  start_value();
  std::array<char, 24> digits{};
  const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), number);
  out_.append(digits.data(), written.ptr);
}

void PrettyJsonWriter::boolean(bool value) {
  start_value();
  out_ += value ? "true" : "false";
}

void PrettyJsonWriter::null() {
  start_value();
  out_ += "null";
}

}  // namespace apig_certd::state
