// Draining the OpenSSL error queue into our Error type.
//
// OpenSSL pushes one entry per layer that failed (for example ASN.1 decoding, then PEM), so
// the queue is read completely, oldest first, and joined: the oldest entry is usually the root
// cause and the newest the operation that gave up. ERR_error_string_n() is used rather than
// ERR_error_string() because the latter writes into a static buffer when given none, which is
// not thread-safe.

#include "daemon/cert/openssl_error.h"

#include <array>

#include <openssl/err.h>

namespace apig_certd::cert {

std::string drain_openssl_errors() {
  std::string text;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    if (!text.empty()) {
      text += "; ";
    }
    text += buffer.data();
  }
  return text;
}

Error openssl_error(ErrorCode code, std::string_view what) {
  std::string reasons = drain_openssl_errors();
  std::string message(what);
  if (!reasons.empty()) {
    message += ": ";
    message += reasons;
  }
  return {code, std::move(message)};
}

void clear_openssl_errors() noexcept {
  ERR_clear_error();
}

}  // namespace apig_certd::cert
