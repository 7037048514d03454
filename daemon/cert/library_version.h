#pragma once

#include <string>

namespace apig_certd::cert {

// The OpenSSL library this process runs with, e.g. "OpenSSL 3.0.19 27 Jan 2026".
std::string openssl_version();

}  // namespace apig_certd::cert
