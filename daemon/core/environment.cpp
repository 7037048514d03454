// Environment snapshot. `environ` is read once, at start-up, so no later getenv() call races
// with a setenv() elsewhere (concurrency-mt-unsafe).

#include "daemon/core/environment.h"

#include <unistd.h>

namespace apig_certd {

Environment Environment::from_process() {
  Environment environment;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-bounds-pointer-arithmetic): environ is a C array
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) {
      continue;
    }
    environment.variables_.emplace(std::string(text.substr(0, equals)),
                                   std::string(text.substr(equals + 1)));
  }
  return environment;
}

std::optional<std::string> Environment::get(std::string_view name) const {
  const auto it = variables_.find(name);
  if (it == variables_.end()) {
    return std::nullopt;
  }
  return it->second;
}

void Environment::set(std::string name, std::string value) {
  variables_.insert_or_assign(std::move(name), std::move(value));
}

void Environment::unset(std::string_view name) {
  const auto it = variables_.find(name);
  if (it != variables_.end()) {
    variables_.erase(it);
  }
}

}  // namespace apig_certd
