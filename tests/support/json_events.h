#pragma once

// JsonEvents: a nlohmann SAX handler that writes down every event as a line of text, for
// comparing two readers of the same JSON (state::read_json() and nlohmann's own). Numbers
// are written bit for bit (a double's bits, and the text nlohmann hands along), strings byte
// for byte. Header-only, for the unit tests and the state_json fuzz target alike.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace apig_certd::testing {

class JsonEvents final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<std::string> events;
  // Events answered before answering false (stops the reader there); -1: never.
  long stop_after = -1;

  bool null() override { return add("null"); }
  bool boolean(bool value) override { return add(value ? "true" : "false"); }
  bool number_integer(number_integer_t value) override {
    return add("integer " + std::to_string(value));
  }
  bool number_unsigned(number_unsigned_t value) override {
    return add("unsigned " + std::to_string(value));
  }
  bool number_float(number_float_t value, const string_t& text) override {
    std::uint64_t bits = 0;
    static_assert(sizeof(bits) == sizeof(value));
    std::memcpy(&bits, &value, sizeof(bits));
    return add("float " + std::to_string(bits) + " " + text);
  }
  bool string(string_t& value) override { return add("string " + value); }
  bool binary(binary_t& /*value*/) override { return add("binary"); }
  bool start_object(std::size_t elements) override { return add("{ " + std::to_string(elements)); }
  bool key(string_t& value) override { return add("key " + value); }
  bool end_object() override { return add("}"); }
  bool start_array(std::size_t elements) override { return add("[ " + std::to_string(elements)); }
  bool end_array() override { return add("]"); }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*error*/) override {
    return false;
  }

 private:
  bool add(std::string event) {
    if (stop_after >= 0 && static_cast<long>(events.size()) >= stop_after) {
      return false;
    }
    events.push_back(std::move(event));
    return true;
  }
};

}  // namespace apig_certd::testing
