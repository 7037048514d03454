#pragma once

// Environment: a snapshot of environment variables, passed explicitly to the code that needs
// them (settings, hooks) instead of calling getenv() everywhere. Tests build one by hand.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace apig_certd {

class Environment {
 public:
  Environment() = default;

  // A copy of the process environment. Call from main before any thread starts.
  static Environment from_process();

  // The value, or nullopt when unset. An empty value is returned as an empty string.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  void set(std::string name, std::string value);
  void unset(std::string_view name);

 private:
  std::map<std::string, std::string, std::less<>> variables_;
};

}  // namespace apig_certd
