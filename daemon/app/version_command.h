#pragma once

#include <string>

namespace apig_certd::app {

// "apig-certd 0.1.0" and one line per library with the version it runs with.
std::string version_text();

}  // namespace apig_certd::app
