#pragma once

// The OpenSSL handles the simulator's certificate checks and TLS listener share.

#include <climits>
#include <cstddef>
#include <memory>
#include <string_view>

#include <openssl/bio.h>
#include <openssl/x509.h>

#include "daemon/core/fn_deleter.h"

namespace apig_certd::sim {

using BioPtr = std::unique_ptr<BIO, FnDeleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, FnDeleter<X509_free>>;

// A read-only memory BIO over `text` (which must outlive it); an empty one for texts too
// large for OpenSSL's int length.
inline BioPtr memory_bio(std::string_view text) {
  if (text.size() > static_cast<std::size_t>(INT_MAX)) {
    return BioPtr(BIO_new_mem_buf("", 0));
  }
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace apig_certd::sim
