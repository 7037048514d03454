// Test certificates generated in-process with OpenSSL.
//
// Why in-process: committed certificates expire and committed keys leak into scanners;
// shelling out to `openssl` makes tests depend on a binary and its flag spelling. Building
// X509 objects directly costs a few dozen lines and lets each test say exactly which field is
// wrong (a date, a SAN, a signer, a key).
//
// Approach: keys and CAs are immutable values behind shared_ptr, so a test can copy them
// freely. Extensions are added with X509V3_EXT_conf_nid() in the textual form of openssl.cnf
// ("critical,CA:TRUE"), which keeps them readable. Dates are set with ASN1_TIME_set(), which
// picks UTCTime before 2050 and GeneralizedTime after, as RFC 5280 requires; a 64-bit time_t
// makes dates after 2038 work. Serial numbers default to a process-wide counter so two
// certificates never share issuer and serial.

#include "tests/support/test_certs.h"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <system_error>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "daemon/cert/openssl_ptr.h"

namespace apig_certd::testing {

using cert::BioPtr;
using cert::EvpPkeyPtr;
using cert::X509ExtensionPtr;
using cert::X509Ptr;

struct TestKey::Impl {
  EvpPkeyPtr key;
};

struct TestCa::Impl {
  TestKey key;
  X509Ptr certificate;
};

namespace {

std::string drain_errors() {
  std::string text;
  for (unsigned long code = ERR_get_error(); code != 0; code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text += buffer.data();
    text += "; ";
  }
  return text;
}

std::string bio_text(BIO* bio) {
  const std::size_t pending = BIO_ctrl_pending(bio);
  std::string text(pending, '\0');
  if (pending > 0 &&
      BIO_read(bio, text.data(), static_cast<int>(pending)) != static_cast<int>(pending)) {
    ADD_FAILURE() << "BIO_read: " << drain_errors();
    return {};
  }
  return text;
}

EVP_PKEY* generate(KeyKind kind) {
  switch (kind) {
    case KeyKind::Rsa1024:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{1024});
    case KeyKind::Rsa2048:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048});
    case KeyKind::Rsa4096:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{4096});
    case KeyKind::EcP256:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    case KeyKind::EcP384:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
    case KeyKind::EcP521:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
    case KeyKind::Ed25519:
      return EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  return nullptr;
}

X509Ptr read_certificate(std::string_view pem) {
  const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) {
    ADD_FAILURE() << "not a PEM certificate: " << drain_errors();
  }
  return certificate;
}

std::string certificate_pem(X509* certificate) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (certificate == nullptr || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    ADD_FAILURE() << "PEM_write_bio_X509: " << drain_errors();
    return {};
  }
  return bio_text(bio.get());
}

bool add_extension(X509* certificate, X509V3_CTX& context, int nid, const std::string& value) {
  const X509ExtensionPtr extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    ADD_FAILURE() << "extension " << OBJ_nid2sn(nid) << "=" << value << ": " << drain_errors();
    return false;
  }
  return true;
}

std::uint64_t next_serial() {
  static std::atomic<std::uint64_t> counter{0x1000};
  return counter.fetch_add(1);
}

enum class Role { Ca, Leaf };

// Builds and signs a certificate for `subject_key`. `issuer` null means self-signed.
X509Ptr build_certificate(const CertSpec& spec, Role role, const TestKey& subject_key, X509* issuer,
                          const TestKey& issuer_key) {
  X509Ptr certificate(X509_new());
  if (!certificate) {
    ADD_FAILURE() << "X509_new: " << drain_errors();
    return nullptr;
  }
  X509* x = certificate.get();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), spec.serial != 0 ? spec.serial : next_serial());

  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("apig-certd tests"), -1, -1, 0);
  if (!spec.common_name.empty()) {
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                               -1, 0);
  }
  X509_set_issuer_name(x, issuer != nullptr ? X509_get_subject_name(issuer) : subject);
  X509_set_pubkey(x, subject_key.impl().key.get());

  const SystemTime now = std::chrono::system_clock::now();
  const SystemTime not_before = spec.not_before_absolute.value_or(now + spec.not_before_offset);
  const SystemTime not_after = spec.not_after_absolute.value_or(now + spec.not_after_offset);
  if (ASN1_TIME_set(X509_getm_notBefore(x), std::chrono::system_clock::to_time_t(not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x), std::chrono::system_clock::to_time_t(not_after)) ==
          nullptr) {
    ADD_FAILURE() << "ASN1_TIME_set: " << drain_errors();
    return nullptr;
  }

  X509V3_CTX context{};
  X509V3_set_ctx(&context, issuer != nullptr ? issuer : x, x, nullptr, nullptr, 0);
  bool ok = add_extension(x, context, NID_subject_key_identifier, "hash") &&
            add_extension(x, context, NID_authority_key_identifier, "keyid");
  if (role == Role::Ca) {
    ok = ok && add_extension(x, context, NID_basic_constraints, "critical,CA:TRUE") &&
         add_extension(x, context, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_extension(x, context, NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(x, context, NID_key_usage, "critical,digitalSignature,keyEncipherment") &&
         add_extension(x, context, NID_ext_key_usage, "serverAuth");
  }
  std::string alternative_names;
  for (const std::string& san : spec.sans) {
    alternative_names += (alternative_names.empty() ? "DNS:" : ",DNS:") + san;
  }
  for (const std::string& ip : spec.ip_sans) {
    alternative_names += (alternative_names.empty() ? "IP:" : ",IP:") + ip;
  }
  if (!alternative_names.empty()) {
    ok = ok && add_extension(x, context, NID_subject_alt_name, alternative_names);
  }
  if (!ok) {
    return nullptr;
  }

  EVP_PKEY* signing_key = issuer_key.impl().key.get();
  const EVP_MD* digest =
      EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(x, signing_key, digest) <= 0) {
    ADD_FAILURE() << "X509_sign: " << drain_errors();
    return nullptr;
  }
  return certificate;
}

}  // namespace

TestKey make_key(KeyKind kind) {
  auto impl = std::make_shared<TestKey::Impl>();
  impl->key.reset(generate(kind));
  if (!impl->key) {
    ADD_FAILURE() << "key generation failed: " << drain_errors();
  }
  return {kind, std::move(impl)};
}

const TestKey& shared_key(KeyKind kind) {
  static std::mutex mutex;
  static std::map<KeyKind, TestKey> keys;
  const std::lock_guard lock(mutex);
  auto it = keys.find(kind);
  if (it == keys.end()) {
    it = keys.emplace(kind, make_key(kind)).first;
  }
  return it->second;
}

std::string TestKey::pem(KeyFormat format, std::string_view passphrase) const {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  const EVP_PKEY* key = impl_->key.get();
  const std::string pass(passphrase);
  const bool has_traditional = kind_ != KeyKind::Ed25519;
  int ok = 0;
  switch (format) {
    case KeyFormat::Traditional:
      ok = has_traditional ? PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr,
                                                                  0, nullptr, nullptr)
                           : PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0,
                                                           nullptr, nullptr);
      break;
    case KeyFormat::EncryptedTraditional:
      if (has_traditional) {
        ok = PEM_write_bio_PrivateKey_traditional(
            bio.get(), key, EVP_aes_256_cbc(), reinterpret_cast<const unsigned char*>(pass.data()),
            static_cast<int>(pass.size()), nullptr, nullptr);
        break;
      }
      [[fallthrough]];
    case KeyFormat::EncryptedPkcs8:
      ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, EVP_aes_256_cbc(), pass.data(),
                                         static_cast<int>(pass.size()), nullptr, nullptr);
      break;
    case KeyFormat::Pkcs8:
      ok = PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
      break;
  }
  if (ok != 1) {
    ADD_FAILURE() << "writing the private key: " << drain_errors();
    return {};
  }
  return bio_text(bio.get());
}

std::string TestKey::public_pem() const {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), impl_->key.get()) != 1) {
    ADD_FAILURE() << "PEM_write_bio_PUBKEY: " << drain_errors();
    return {};
  }
  return bio_text(bio.get());
}

TestCa TestCa::create(std::string_view common_name, KeyKind kind) {
  auto impl = std::make_shared<Impl>(Impl{make_key(kind), nullptr});
  CertSpec spec;
  spec.common_name = std::string(common_name);
  spec.not_before_offset = std::chrono::hours(-24);
  spec.not_after_offset = std::chrono::hours(24 * 365 * 10);
  impl->certificate = build_certificate(spec, Role::Ca, impl->key, nullptr, impl->key);
  return TestCa(std::move(impl));
}

TestCa TestCa::intermediate(std::string_view common_name, KeyKind kind) const {
  auto impl = std::make_shared<Impl>(Impl{make_key(kind), nullptr});
  CertSpec spec;
  spec.common_name = std::string(common_name);
  spec.not_before_offset = std::chrono::hours(-24);
  spec.not_after_offset = std::chrono::hours(24 * 365 * 5);
  impl->certificate =
      build_certificate(spec, Role::Ca, impl->key, impl_->certificate.get(), impl_->key);
  return TestCa(std::move(impl));
}

std::string TestCa::issue(const CertSpec& spec, const TestKey& key) const {
  const X509Ptr certificate =
      build_certificate(spec, Role::Leaf, key, impl_->certificate.get(), impl_->key);
  return certificate ? certificate_pem(certificate.get()) : std::string();
}

std::string TestCa::pem() const {
  return certificate_pem(impl_->certificate.get());
}

const TestKey& TestCa::key() const {
  return impl_->key;
}

std::string self_signed(const CertSpec& spec, const TestKey& key) {
  const X509Ptr certificate = build_certificate(spec, Role::Leaf, key, nullptr, key);
  return certificate ? certificate_pem(certificate.get()) : std::string();
}

TestChain make_chain(const CertSpec& spec, KeyKind kind) {
  static const TestCa root = TestCa::create();
  static const TestCa issuing = root.intermediate();
  const TestKey& key = shared_key(kind);
  return TestChain{key, issuing.issue(spec, key), issuing.pem(), root.pem()};
}

std::string to_der(std::string_view certificate_pem_text) {
  const X509Ptr certificate = read_certificate(certificate_pem_text);
  if (!certificate) {
    return {};
  }
  const int length = i2d_X509(certificate.get(), nullptr);
  if (length <= 0) {
    ADD_FAILURE() << "i2d_X509: " << drain_errors();
    return {};
  }
  std::string der(static_cast<std::size_t>(length), '\0');
  auto* cursor = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(certificate.get(), &cursor);
  return der;
}

std::string sha256_fingerprint(std::string_view certificate_pem_text) {
  const X509Ptr certificate = read_certificate(certificate_pem_text);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!certificate || X509_digest(certificate.get(), EVP_sha256(), digest.data(), &length) != 1) {
    ADD_FAILURE() << "X509_digest: " << drain_errors();
    return {};
  }
  std::string hex;
  constexpr std::string_view kDigits = "0123456789abcdef";
  for (unsigned int index = 0; index < length; ++index) {
    hex += kDigits[digest[index] >> 4U];
    hex += kDigits[digest[index] & 0xFU];
  }
  return hex;
}

Lineage write_lineage(TempDir& temp_dir, std::string_view directory, std::string_view fullchain,
                      std::string_view key_pem) {
  using std::filesystem::perms;
  const std::string prefix = std::string(directory) + "/";
  Lineage lineage;
  lineage.directory = temp_dir / directory;
  lineage.cert = temp_dir.write(
      prefix + "fullchain.pem", fullchain,
      perms::owner_read | perms::owner_write | perms::group_read | perms::others_read);
  lineage.key =
      temp_dir.write(prefix + "privkey.pem", key_pem, perms::owner_read | perms::owner_write);
  return lineage;
}

Lineage write_certbot_lineage(TempDir& temp_dir, std::string_view config_dir, std::string_view name,
                              const TestChain& chain, int version) {
  using std::filesystem::perms;
  const perms public_mode =
      perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
  const perms private_mode = perms::owner_read | perms::owner_write;
  const std::string archive = std::string(config_dir) + "/archive/" + std::string(name) + "/";
  const std::string live = std::string(config_dir) + "/live/" + std::string(name) + "/";
  const std::string number = std::to_string(version);

  struct File {
    std::string_view stem;
    std::string content;
    perms mode;
  };
  const std::array<File, 4> files{{
      {"cert", chain.leaf, public_mode},
      {"chain", chain.chain(), public_mode},
      {"fullchain", chain.fullchain(), public_mode},
      {"privkey", chain.key.pem(), private_mode},
  }};
  std::error_code error;
  std::filesystem::create_directories(temp_dir / live, error);
  if (error) {
    ADD_FAILURE() << "create_directories: " << error.message();
  }
  for (const File& file : files) {
    const std::string file_name = std::string(file.stem) + number + ".pem";
    temp_dir.write(archive + file_name, file.content, file.mode);
    // certbot's links are relative: live/NAME/x.pem -> ../../archive/NAME/xN.pem. A renewal
    // unlinks and re-creates each link.
    const std::filesystem::path link = temp_dir / (live + std::string(file.stem) + ".pem");
    std::filesystem::remove(link, error);
    std::filesystem::create_symlink(
        std::filesystem::path("../../archive") / std::string(name) / file_name, link, error);
    if (error) {
      ADD_FAILURE() << "create_symlink " << link << ": " << error.message();
    }
  }
  Lineage lineage;
  lineage.directory = temp_dir / live;
  lineage.cert = temp_dir / (live + "fullchain.pem");
  lineage.key = temp_dir / (live + "privkey.pem");
  return lineage;
}

}  // namespace apig_certd::testing
