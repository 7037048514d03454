// Reports the run-time libcurl version and its TLS backend: apig-certd requires the OpenSSL
// flavour, and this line is where an operator can see which one is loaded.

#include "daemon/http/library_version.h"

#include <curl/curl.h>

namespace apig_certd::http {

std::string curl_version() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr) {
    return "unknown";
  }
  std::string text = info->version;
  if (info->ssl_version != nullptr) {
    text += " (";
    text += info->ssl_version;
    text += ")";
  }
  return text;
}

}  // namespace apig_certd::http
