#pragma once

// PrettyJsonWriter: writes JSON straight into a string, formatted byte for byte as
// nlohmann-json's dump(2, ' ', false, error_handler_t::replace) formats a document (two-space
// indent, "key": value, {} and [] when empty, UTF-8 kept, invalid UTF-8 replaced by U+FFFD).
// The state file is written with it instead of building an ordered_json document and dumping
// that: with 1,000 bindings the document took about 20 MiB of fresh memory and most of the
// 70 ms a save took at start-up.
//
// The caller nests the calls correctly (a key() before each value inside an object, no key()
// in an array); the writer does not check.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace apig_certd::state {

class PrettyJsonWriter {
 public:
  explicit PrettyJsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{', false); }
  void end_object() { close('}'); }
  void begin_array() { open('[', true); }
  void end_array() { close(']'); }
  // The name of the next member of the current object.
  void key(std::string_view name);

  void string(std::string_view text);
  void integer(std::int64_t number);
  void unsigned_integer(std::uint64_t number);
  void boolean(bool value);
  void null();

 private:
  struct Level {
    bool array = false;
    bool empty = true;
  };

  // Before a value: inside an array, the separator and indent of a new element.
  void start_value();
  // Before a member or element: ",", a newline and the indent of the current level.
  void next_line();
  void open(char bracket, bool array);
  void close(char bracket);
  void quoted(std::string_view text);

  std::string& out_;
  std::vector<Level> levels_;
};

}  // namespace apig_certd::state
