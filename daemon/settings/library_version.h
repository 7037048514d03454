#pragma once

#include <string>

namespace apig_certd::settings {

// The toml++ version this program was built with, e.g. "3.3.0".
std::string tomlplusplus_version();

}  // namespace apig_certd::settings
