// Reports the OpenSSL version found at run time (not the one compiled against), which is what
// an operator needs when a TLS or PEM problem depends on the library.

#include "daemon/cert/library_version.h"

#include <openssl/crypto.h>

namespace apig_certd::cert {

std::string openssl_version() {
  return OpenSSL_version(OPENSSL_VERSION);
}

}  // namespace apig_certd::cert
