// Minimal JSON object writer for request bodies. See json_writer.h for why it exists.

#include "daemon/core/json_writer.h"

#include <array>

namespace apig_certd {

void append_json_string(std::string& out, std::string_view value) {
  constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                      '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  out += '"';
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20) {
          out += "\\u00";
          out += kHex.at(byte >> 4U);
          out += kHex.at(byte & 0x0FU);
        } else {
          out += c;
        }
      }
    }
  }
  out += '"';
}

Secret write_json_object(const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  // Worst case every byte becomes \u00XX (6 bytes), plus quotes, colons and commas.
  std::size_t capacity = 2;
  for (const auto& [name, value] : fields) {
    capacity += 6 * (name.size() + value.size()) + 6;
  }
  std::string out;
  out.reserve(capacity);
  out += '{';
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) {
      out += ',';
    }
    first = false;
    append_json_string(out, name);
    out += ':';
    append_json_string(out, value);
  }
  out += '}';
  return Secret(std::move(out));
}

}  // namespace apig_certd
