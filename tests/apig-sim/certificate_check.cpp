// APIG's certificate checks, reimplemented on OpenSSL.
//
// The order of the checks is the contract (check_upload's comment lists it): a request with
// several problems gets the code of the first, so tests can pin which check runs first. The
// PEM reader accepts any number of certificate blocks and skips other blocks and text between
// them, as PEM_read_bio does; anything but a clean "no more PEM" at the end (bad base64, a
// truncated block, an unparsable DER) makes the upload unparsable.
//
// Encrypted keys are recognised by their PEM labels before OpenSSL is asked to read them, and
// the key reader gets a passphrase callback that refuses: OpenSSL's default would prompt on
// the terminal. Nothing here keeps the key; the caller stores only its SHA-256.

#include "tests/apig-sim/certificate_check.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <ctime>
#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "daemon/core/fn_deleter.h"
#include "daemon/core/hex.h"
#include "daemon/crypto/digest.h"
#include "tests/apig-sim/openssl_handles.h"

namespace apig_certd::sim {

namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, FnDeleter<EVP_PKEY_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, FnDeleter<BN_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FnDeleter<GENERAL_NAMES_free>>;

// 2038-01-19T03:14:07Z, the largest signed 32-bit time_t (APIG.3148).
constexpr std::time_t kLatestNotAfter = 2147483647;

ApigError bad_request(std::string code, std::string message) {
  return ApigError{400, std::move(code), std::move(message)};
}

// Every certificate of a PEM text, or an empty vector when it is unparsable or has none.
std::vector<X509Ptr> read_chain(std::string_view pem) {
  ERR_clear_error();
  const BioPtr bio = memory_bio(pem);
  std::vector<X509Ptr> chain;
  while (X509Ptr certificate{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    chain.push_back(std::move(certificate));
  }
  const unsigned long error = ERR_peek_last_error();
  ERR_clear_error();
  const bool clean_end =
      ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  if (!clean_end) {
    chain.clear();
  }
  return chain;
}

bool looks_encrypted(std::string_view key_pem) {
  return key_pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
         key_pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos;
}

// A passphrase callback that never supplies one (OpenSSL's default would prompt).
int refuse_passphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

KeyPtr read_key(std::string_view pem) {
  const BioPtr bio = memory_bio(pem);
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  ERR_clear_error();
  return key;
}

// "" for a key OpenSSL could not decode: X509_get0_pubkey() is null when the certificate's
// SubjectPublicKeyInfo is damaged, although the certificate itself parsed.
std::string algorithm_type(const EVP_PKEY* key) {
  if (key == nullptr) {
    ERR_clear_error();
    return "";
  }
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return "RSA";
    case EVP_PKEY_EC:
      return "ECC";
    default:
      return "";
  }
}

SystemTime to_system_time(const ASN1_TIME* time) {
  std::tm parts{};
  if (ASN1_TIME_to_tm(time, &parts) != 1) {
    return SystemTime{};
  }
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string to_utf8(const ASN1_STRING* text) {
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, text);
  if (length < 0) {
    return "";
  }
  std::string result(reinterpret_cast<const char*>(utf8),  // NOLINT(*-reinterpret-cast)
                     static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return result;
}

std::vector<std::string> name_entries(const X509_NAME* name, int nid) {
  std::vector<std::string> values;
  for (int index = X509_NAME_get_index_by_NID(name, nid, -1); index >= 0;
       index = X509_NAME_get_index_by_NID(name, nid, index)) {
    values.push_back(to_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index))));
  }
  return values;
}

std::string one_line(const X509_NAME* name) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return length > 0 ? std::string(data, static_cast<std::size_t>(length)) : std::string();
}

std::vector<std::string> dns_sans(const X509* certificate) {
  const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  std::vector<std::string> sans;
  if (!names) {
    return sans;
  }
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      sans.push_back(to_utf8(name->d.dNSName));
    }
  }
  return sans;
}

std::string serial_decimal(const X509* certificate) {
  const BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!number) {
    return "";
  }
  char* text = BN_bn2dec(number.get());
  std::string result = text != nullptr ? text : "";
  OPENSSL_free(text);
  return result;
}

std::string signature_algorithm(const X509* certificate) {
  switch (X509_get_signature_nid(certificate)) {
    case NID_sha256WithRSAEncryption:
      return "SHA256-RSA";
    case NID_sha384WithRSAEncryption:
      return "SHA384-RSA";
    case NID_sha512WithRSAEncryption:
      return "SHA512-RSA";
    case NID_ecdsa_with_SHA256:
      return "ECDSA-SHA256";
    case NID_ecdsa_with_SHA384:
      return "ECDSA-SHA384";
    case NID_ecdsa_with_SHA512:
      return "ECDSA-SHA512";
    default:
      return OBJ_nid2sn(X509_get_signature_nid(certificate));
  }
}

std::string fingerprint(const X509* certificate) {
  crypto::Sha256Digest digest{};
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1) {
    return "";
  }
  return hex_lower(digest);
}

CertificateFacts facts_of(const X509* leaf) {
  const X509_NAME* subject = X509_get_subject_name(leaf);
  CertificateFacts facts;
  const std::vector<std::string> common_names = name_entries(subject, NID_commonName);
  facts.common_name = common_names.empty() ? "" : common_names.front();
  facts.san = dns_sans(leaf);
  facts.not_before = to_system_time(X509_get0_notBefore(leaf));
  facts.not_after = to_system_time(X509_get0_notAfter(leaf));
  facts.serial_number = serial_decimal(leaf);
  facts.issuer = {one_line(X509_get_issuer_name(leaf))};
  facts.organization = name_entries(subject, NID_organizationName);
  facts.organizational_unit = name_entries(subject, NID_organizationalUnitName);
  facts.locality = name_entries(subject, NID_localityName);
  facts.state = name_entries(subject, NID_stateOrProvinceName);
  facts.country = name_entries(subject, NID_countryName);
  facts.signature_algorithm = signature_algorithm(leaf);
  facts.algorithm_type = algorithm_type(X509_get0_pubkey(leaf));
  facts.version = static_cast<int>(X509_get_version(leaf)) + 1;
  facts.fingerprint = fingerprint(leaf);
  return facts;
}

bool chain_in_order(const std::vector<X509Ptr>& chain) {
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    X509* subject = chain[i].get();
    X509* issuer = chain[i + 1].get();
    if (X509_check_issued(issuer, subject) != X509_V_OK ||
        X509_verify(subject, X509_get0_pubkey(issuer)) != 1) {
      ERR_clear_error();
      return false;
    }
  }
  return true;
}

// UTF-8 decoding for the name rule; nullopt on malformed input.
std::optional<std::vector<char32_t>> decode_utf8(std::string_view text) {
  std::vector<char32_t> code_points;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80U            ? 1
                               : (lead >> 5U) == 0x6U  ? 2
                               : (lead >> 4U) == 0xEU  ? 3
                               : (lead >> 3U) == 0x1EU ? 4
                                                       : 0;
    if (length == 0 || i + length > text.size()) {
      return std::nullopt;
    }
    char32_t value = length == 1 ? lead : lead & (0x7FU >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation >> 6U) != 0x2U) {
        return std::nullopt;
      }
      value = (value << 6U) | (continuation & 0x3FU);
    }
    code_points.push_back(value);
    i += length;
  }
  return code_points;
}

bool is_ascii_letter(char32_t c) {
  return (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z');
}
bool is_cjk(char32_t c) {
  return c >= 0x4E00 && c <= 0x9FFF;
}

std::optional<ApigError> check_key_and_leaf(const X509* leaf, const EVP_PKEY* key) {
  if (algorithm_type(key).empty()) {
    return bad_request("APIG.2106", "The private key algorithm is not supported (RSA or ECC)");
  }
  if (X509_check_private_key(leaf, key) != 1) {
    ERR_clear_error();
    return bad_request("APIG.2101", "The certificate does not match the private key");
  }
  return std::nullopt;
}

std::optional<ApigError> check_names(const std::vector<std::string>& sans,
                                     std::span<const std::string> domains) {
  if (sans.empty()) {
    return bad_request("APIG.2109", "Invalid certificate: the SAN field is missing");
  }
  if (const std::optional<std::string> domain = first_uncovered(sans, domains)) {
    return bad_request("APIG.2103",
                       "The certificate domain name does not match the custom "
                       "domain name " +
                           *domain);
  }
  return std::nullopt;
}

}  // namespace

Result<CertificateFacts> describe_certificate(std::string_view certificate_pem) {
  const std::vector<X509Ptr> chain = read_chain(certificate_pem);
  if (chain.empty()) {
    return fail(ErrorCode::ParseError, "no readable PEM certificate");
  }
  return facts_of(chain.front().get());
}

bool is_valid_certificate_name(std::string_view name) {
  const auto code_points = decode_utf8(name);
  if (!code_points || code_points->size() < 4 || code_points->size() > 50) {
    return false;
  }
  const char32_t first = code_points->front();
  if (!is_ascii_letter(first) && !is_cjk(first)) {
    return false;
  }
  return std::all_of(code_points->begin() + 1, code_points->end(), [](char32_t c) {
    return is_ascii_letter(c) || is_cjk(c) || (c >= U'0' && c <= U'9') || c == U'_';
  });
}

bool san_covers(std::string_view san, std::string_view domain) {
  const auto equal = [](std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
      return std::tolower(static_cast<unsigned char>(x)) ==
             std::tolower(static_cast<unsigned char>(y));
    });
  };
  if (equal(san, domain)) {
    return true;
  }
  if (!san.starts_with("*.")) {
    return false;
  }
  const std::size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.substr(0, dot) != "*" &&
         equal(san.substr(1), domain.substr(dot));
}

std::optional<std::string> first_uncovered(const std::vector<std::string>& sans,
                                           std::span<const std::string> domains) {
  for (const std::string& domain : domains) {
    if (std::none_of(sans.begin(), sans.end(),
                     [&](const std::string& san) { return san_covers(san, domain); })) {
      return domain;
    }
  }
  return std::nullopt;
}

tl::expected<CertificateFacts, ApigError> check_upload(std::string_view certificate_pem,
                                                       std::string_view private_key_pem,
                                                       std::span<const std::string> domains,
                                                       SystemTime now) {
  const std::vector<X509Ptr> chain = read_chain(certificate_pem);
  if (chain.empty()) {
    return tl::unexpected(bad_request("APIG.2106",
                                      "Invalid certificate: cert_content is not "
                                      "a readable PEM certificate"));
  }
  if (looks_encrypted(private_key_pem)) {
    return tl::unexpected(bad_request("APIG.2105", "Encrypted private keys are not supported"));
  }
  const KeyPtr key = read_key(private_key_pem);
  if (!key) {
    return tl::unexpected(bad_request("APIG.2106",
                                      "Invalid private key: private_key is not "
                                      "a readable PEM private key"));
  }
  const X509* leaf = chain.front().get();
  if (auto error = check_key_and_leaf(leaf, key.get())) {
    return tl::unexpected(std::move(*error));
  }
  std::time_t now_seconds = std::chrono::system_clock::to_time_t(now);
  if (X509_cmp_time(X509_get0_notAfter(leaf), &now_seconds) < 0) {
    return tl::unexpected(bad_request("APIG.2102", "The certificate has expired"));
  }
  CertificateFacts facts = facts_of(leaf);
  if (auto error = check_names(facts.san, domains)) {
    return tl::unexpected(std::move(*error));
  }
  if (!chain_in_order(chain)) {
    return tl::unexpected(
        bad_request("APIG.2104",
                    "The certificate chain is not matched: put the server certificate "
                    "first, then each issuer in order"));
  }
  std::time_t latest = kLatestNotAfter;
  if (X509_cmp_time(X509_get0_notAfter(leaf), &latest) > 0) {
    return tl::unexpected(
        bad_request("APIG.3148", "The certificate must expire before 2038-01-19 03:14:07 UTC"));
  }
  return facts;
}

}  // namespace apig_certd::sim
