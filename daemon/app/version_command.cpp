// `apig-certd version`: our version and the run-time versions of the libraries whose
// behaviour an operator may need to know about (TLS, HTTP, TOML, logging). Each adapter
// reports its own library, so this file includes no third-party header but spdlog's.

#include "daemon/app/version_command.h"

#include <spdlog/version.h>

#include <nlohmann/json.hpp>

#include "daemon/cert/library_version.h"
#include "daemon/http/library_version.h"
#include "daemon/settings/library_version.h"

#ifndef APIG_CERTD_VERSION
#define APIG_CERTD_VERSION "0.0.0"
#endif

namespace apig_certd::app {

std::string version_text() {
  std::string text = "apig-certd " APIG_CERTD_VERSION "\n";
  text += "OpenSSL: " + cert::openssl_version() + "\n";
  text += "libcurl: " + http::curl_version() + "\n";
  text += "toml++: " + settings::tomlplusplus_version() + "\n";
  text += "spdlog: " + std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) +
          "." + std::to_string(SPDLOG_VER_PATCH) + "\n";
  text += "nlohmann-json: " + std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
          std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
          std::to_string(NLOHMANN_JSON_VERSION_PATCH) + "\n";
  return text;
}

}  // namespace apig_certd::app
