#pragma once

// How messages quote a name, key or path: 'www.example.com', '/etc/apig-certd/config.toml'.

#include <concepts>
#include <filesystem>
#include <string>
#include <string_view>

namespace apig_certd {

inline std::string in_quotes(std::string_view text) {
  std::string result;
  result.reserve(text.size() + 2);
  result += '\'';
  result += text;
  result += '\'';
  return result;
}

// Only for a path itself (a string argument takes the overload above, not a conversion).
template <typename Path>
requires std::same_as<Path, std::filesystem::path> std::string in_quotes(const Path& path) {
  return in_quotes(std::string_view(path.native()));
}

}  // namespace apig_certd
