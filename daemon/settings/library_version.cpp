// toml++ has no run-time version call; the header's macros match the shared library because
// Debian ships them in one source package.

#include "daemon/settings/library_version.h"

#include <string>

#include <toml++/toml.h>

namespace apig_certd::settings {

std::string tomlplusplus_version() {
  return std::to_string(TOML_LIB_MAJOR) + "." + std::to_string(TOML_LIB_MINOR) + "." +
         std::to_string(TOML_LIB_PATCH);
}

}  // namespace apig_certd::settings
