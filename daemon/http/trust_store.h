#pragma once

// TrustStore: the CA certificates every HTTPS call trusts, parsed once and shared.
//
// The system bundle (the first of the usual distribution paths that exists) plus, when the
// config names one, an extra CA file *added* to it (apig.ca_file never replaces the system
// trust). libcurl would otherwise parse the whole bundle (some 140 certificates) again for
// every new TLS connection of every worker, and keep a copy per connection; one shared,
// reference-counted X509_STORE serves them all (CurlTransport installs it into each
// connection's SSL_CTX). OpenSSL's X509_STORE is safe to use from several threads at once.

#include <filesystem>
#include <memory>

#include <openssl/x509_vfy.h>

#include "daemon/core/fn_deleter.h"
#include "daemon/core/result.h"

namespace apig_certd::http {

class TrustStore {
 public:
  // Loads the system bundle and `ca_file` (empty: none). Errors: NotFound when ca_file cannot
  // be read, InvalidArgument when it is over 16 MiB, ParseError when it holds no readable PEM
  // certificate, each naming the file.
  static Result<std::shared_ptr<const TrustStore>> load(const std::filesystem::path& ca_file);

  // The store, for SSL_CTX_set1_cert_store (which takes its own reference).
  [[nodiscard]] X509_STORE* get() const { return store_.get(); }
  // Certificates loaded (system + extra), for diagnostics and tests.
  [[nodiscard]] int certificates() const { return certificates_; }

 private:
  using StorePtr = std::unique_ptr<X509_STORE, FnDeleter<X509_STORE_free>>;
  TrustStore(StorePtr store, int certificates)
      : store_(std::move(store)), certificates_(certificates) {}

  StorePtr store_;
  int certificates_ = 0;
};

}  // namespace apig_certd::http
