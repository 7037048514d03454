#include "daemon/http/trust_store.h"

#include <array>
#include <fstream>
#include <sstream>
#include <string>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace apig_certd::http {

namespace {

using BioPtr = std::unique_ptr<BIO, FnDeleter<BIO_free>>;
using X509Ptr = std::unique_ptr<X509, FnDeleter<X509_free>>;

constexpr std::size_t kLimit = std::size_t{16} * 1024 * 1024;

constexpr std::array<const char*, 3> kSystemBundles{
    "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu
    "/etc/pki/tls/certs/ca-bundle.crt",    // Fedora, RHEL
    "/etc/ssl/cert.pem",                   // Alpine, others
};

Result<std::string> read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorCode::NotFound, "cannot read CA file '" + path.string() + "'");
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string text = std::move(buffer).str();
  if (text.size() > kLimit) {
    return fail(ErrorCode::InvalidArgument, "CA file '" + path.string() + "' is larger than " +
                                                std::to_string(kLimit / 1024 / 1024) + " MiB");
  }
  return text;
}

// Adds every certificate of the PEM text to `store`; how many were added. Text between the
// certificates (comments, other blocks) is skipped, as curl's own bundle loading does.
int add_certificates(X509_STORE* store, const std::string& pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) {
    return 0;
  }
  int added = 0;
  while (true) {
    X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) {
      break;
    }
    // OpenSSL 3.0 decodes a certificate's extensions (key identifiers, constraints) lazily,
    // on first use during a verification, under the certificate's lock, while other
    // verifications read them without it: the workers' first handshakes raced there
    // (ThreadSanitizer, SyncTest.HundredTargetsMeasured). Decoding them now, before the
    // store is shared, leaves the workers only reading. X509_check_purpose with -1 does only
    // that.
    (void)X509_check_purpose(certificate.get(), -1, 0);
    // X509_STORE_add_cert takes its own reference; a certificate already in the store (a CA
    // both in the system bundle and in ca_file) is ignored and counted.
    if (X509_STORE_add_cert(store, certificate.get()) == 1) {
      ++added;
    }
  }
  ERR_clear_error();  // The end of the text reads as "no start line".
  return added;
}

}  // namespace

Result<std::shared_ptr<const TrustStore>> TrustStore::load(const std::filesystem::path& ca_file) {
  StorePtr store(X509_STORE_new());
  if (!store) {
    return fail(ErrorCode::Internal, "X509_STORE_new failed");
  }
  int certificates = 0;
  for (const char* system_bundle : kSystemBundles) {
    if (Result<std::string> system = read_text_file(system_bundle)) {
      certificates += add_certificates(store.get(), *system);
      break;
    }
  }
  if (!ca_file.empty()) {
    Result<std::string> extra = read_text_file(ca_file);
    if (!extra) {
      return fail(std::move(extra.error()));
    }
    const int added = add_certificates(store.get(), *extra);
    if (added == 0) {
      return fail(ErrorCode::ParseError,
                  "CA file '" + ca_file.string() + "' holds no PEM certificate");
    }
    certificates += added;
  }
  return std::shared_ptr<const TrustStore>(new TrustStore(std::move(store), certificates));
}

}  // namespace apig_certd::http
