#pragma once

// Helpers shared by the fuzz targets: libFuzzer's bytes as text, and the split that lets one
// input carry several fields (for example a certificate file and a key file).

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace apig_certd::fuzz {

// The input as text; libFuzzer's buffer lives for the whole call.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes viewed as chars.
  return {reinterpret_cast<const char*>(data), size};
}

// The text before the first `separator` and the text after it; the second part is empty
// when there is no separator.
inline std::pair<std::string_view, std::string_view> split_once(std::string_view text,
                                                                char separator) {
  const std::size_t at = text.find(separator);
  if (at == std::string_view::npos) {
    return {text, {}};
  }
  return {text.substr(0, at), text.substr(at + 1)};
}

// Every piece between `separator`s, empty pieces included ("a\n\nb" -> "a", "", "b").
inline std::vector<std::string_view> split_all(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  while (true) {
    const auto [head, tail] = split_once(text, separator);
    pieces.push_back(head);
    if (head.size() == text.size()) {
      return pieces;
    }
    text = tail;
  }
}

}  // namespace apig_certd::fuzz
