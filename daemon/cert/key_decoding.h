#pragma once

// Decoding a private key's DER with a reusable decoder context (key_decoders.h). Include only
// from .cpp files under daemon/cert/ and tests: it speaks OpenSSL types.

#include <cstddef>

#include "daemon/cert/key_decoders.h"
#include "daemon/cert/openssl_ptr.h"

namespace apig_certd::cert {

struct DecodedKey {
  EvpPkeyPtr key;           // null when the DER is not such a key
  bool used_whole = false;  // the key took every byte of the DER
};

// Decodes `der` as a key pair in `structure` ("PrivateKeyInfo" for PKCS#8, "type-specific"
// for PKCS#1 RSA and SEC1 EC keys) of `key_type` (an OpenSSL algorithm name such as "RSA",
// "EC" or "rsaEncryption"), with one of `decoders`' contexts for that pair. A null key leaves
// OpenSSL's reasons in this thread's error queue, like EVP_PKCS82PKEY().
DecodedKey decode_private_key(KeyDecoders& decoders, const char* structure, const char* key_type,
                              const unsigned char* der, std::size_t length);

}  // namespace apig_certd::cert
