#pragma once

#include <string>

namespace apig_certd::http {

// The libcurl this process runs with and its TLS backend, e.g. "7.88.1 (OpenSSL/3.0.19)".
std::string curl_version();

}  // namespace apig_certd::http
