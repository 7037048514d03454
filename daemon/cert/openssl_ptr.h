#pragma once

// RAII owners for OpenSSL pointers (STYLE.md §4): one stateless deleter template, so every
// alias is exactly one pointer wide, and one alias per type. Include this only from .cpp files
// under daemon/cert/ (and tests/support/): it pulls in OpenSSL headers, which the rest of the
// daemon never sees.

#include <memory>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/core/fn_deleter.h"

namespace apig_certd::cert {

using X509Ptr = std::unique_ptr<X509, FnDeleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, FnDeleter<BIO_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, FnDeleter<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, FnDeleter<EVP_PKEY_CTX_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, FnDeleter<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, FnDeleter<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, FnDeleter<ASN1_TIME_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, FnDeleter<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, FnDeleter<X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FnDeleter<GENERAL_NAMES_free>>;
using Pkcs8InfoPtr = std::unique_ptr<PKCS8_PRIV_KEY_INFO, FnDeleter<PKCS8_PRIV_KEY_INFO_free>>;

}  // namespace apig_certd::cert
