// Loading a certificate bundle: two files in, one Bundle of plain values out.
//
// Approach. Each file is read whole (after following symlinks, which is how certbot's live/
// directory points into archive/) into a buffer that is wiped afterwards, because the key file
// and, by mistake, the certificate file may hold key bytes. The text is then scanned block by
// block with PEM_read_bio_ex() rather than with the typed PEM readers: seeing each block's
// type first lets us say precisely what is wrong ("a PRIVATE KEY block in the certificate
// file", "an ENCRYPTED PRIVATE KEY") instead of "no start line", and lets us refuse an
// encrypted key before OpenSSL would ask for a passphrase. PEM_FLAG_SECURE makes OpenSSL keep
// the decoded blocks in memory that is cleansed when freed.
//
// Everything a check needs is computed here, once: the leaf's facts, whether the key matches,
// and how each chain certificate relates to the others (issuer name and signature, via
// X509_check_issued() and X509_verify()). The leaf is the certificate that matches the key,
// wherever it is in the file, so that a misordered file still yields the right names and dates
// and the check can say "the leaf is certificate 2; put it first". Keeping OpenSSL objects out
// of the Bundle makes it a plain value and keeps OpenSSL out of every other folder.
//
// Why a size limit: a certificate chain is a few kilobytes; a 1 MiB cap turns a wrong path
// (a log file, a device) into a clear error instead of a large read.

#include "daemon/cert/bundle.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <limits>
#include <optional>
#include <span>
#include <utility>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/cert/key_decoding.h"
#include "daemon/cert/openssl_error.h"
#include "daemon/cert/openssl_ptr.h"
#include "daemon/core/ascii.h"
#include "daemon/core/hex.h"
#include "daemon/core/in_quotes.h"
#include "daemon/core/scope_exit.h"

namespace apig_certd::cert {

namespace {

// OpenSSL speaks unsigned char, std::string speaks char; either type may alias any object
// ([basic.lval]), so these casts are safe, and they are the only ones in this file.
const char* as_chars(const unsigned char* bytes) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): see above.
  return reinterpret_cast<const char*>(bytes);
}
const unsigned char* as_bytes(const char* chars) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): see above.
  return reinterpret_cast<const unsigned char*>(chars);
}

std::string certificate_file(const BundlePaths& paths) {
  return "certificate file " + in_quotes(paths.cert);
}

std::string key_file(const BundlePaths& paths) {
  return "key file " + in_quotes(paths.key);
}

// A file's bytes (wiped when done with) and its mode, as read through any symlinks.
struct FileContent {
  Secret bytes;
  mode_t mode = 0;
};

Result<FileContent> read_whole_file(const std::filesystem::path& path, std::string_view role) {
  const std::string what = std::string(role) + " " + in_quotes(path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int errnum = errno;
    std::string hint = "check the path in the binding and that apig-certd may read it";
    if (errnum == ELOOP) {
      hint = "a symbolic link on the way points back at itself; fix the link";
    }
    return fail(Error(Error::from_errno("open", errnum).code(),
                      "cannot open " + what + ": " + errno_text(errnum) + "; " + hint));
  }
  const ScopeExit close_fd([fd] { ::close(fd); });

  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int errnum = errno;
    return fail(Error::from_errno("fstat", errnum).with_context("reading " + what));
  }
  if (S_ISDIR(info.st_mode)) {
    return fail(ErrorCode::InvalidArgument,
                what + " is a directory; point the binding at the PEM file inside it");
  }
  if (!S_ISREG(info.st_mode)) {
    return fail(ErrorCode::InvalidArgument,
                what + " is not a regular file; point the binding at a PEM file");
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size > kMaxBundleFileSize) {
    return fail(ErrorCode::InvalidArgument,
                what + " is " + std::to_string(size) +
                    " bytes, more than the 1 MiB a PEM certificate or key can reasonably be; "
                    "check that the binding points at the right file");
  }

  // One allocation of the final size plus one byte, so the string never reallocates (which
  // would leave an unwiped copy behind) and a file that grew since fstat() is noticed.
  std::string buffer(static_cast<std::size_t>(size) + 1, '\0');
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t count = ::read(fd, &buffer[filled], buffer.size() - filled);
    if (count < 0) {
      const int errnum = errno;
      if (errnum == EINTR) {
        continue;
      }
      Secret wipe_me(std::move(buffer));
      return fail(Error::from_errno("read", errnum).with_context("reading " + what));
    }
    if (count == 0) {
      break;
    }
    filled += static_cast<std::size_t>(count);
  }
  if (filled == buffer.size()) {
    Secret wipe_me(std::move(buffer));
    return fail(ErrorCode::Unavailable,
                what + " grew while it was being read (a renewal is writing it); retry");
  }
  buffer.resize(filled);  // Shrinking keeps the allocation; Secret wipes its whole capacity.
  return FileContent{Secret(std::move(buffer)), info.st_mode};
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
  });
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// "`what` (OpenSSL: reasons) `advice`": OpenSSL's reasons go in the middle so the message
// still ends with the APIG code. Drains the error queue.
Error parse_error_with_reasons(std::string_view what, std::string_view advice) {
  std::string message(what);
  const std::string reasons = drain_openssl_errors();
  if (!reasons.empty()) {
    message += " (" + reasons + ")";
  }
  message += advice;
  return {ErrorCode::ParseError, std::move(message)};
}

// One decoded PEM block. The DER bytes are a Secret because in the key file they are the key.
struct PemBlock {
  std::string name;        // "CERTIFICATE", "PRIVATE KEY", ...
  bool encrypted = false;  // A "Proc-Type: 4,ENCRYPTED" header (traditional encrypted keys).
  Secret der;
};

void free_secure_char(char* pointer) {
  OPENSSL_secure_free(pointer);
}

// Reads every PEM block of `text`. ParseError with OpenSSL's reason when a block is damaged
// (bad base64, missing END line). Text between blocks is ignored, as OpenSSL does.
Result<std::vector<PemBlock>> read_pem_blocks(std::string_view text, std::string_view what) {
  if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return fail(ErrorCode::InvalidArgument, std::string(what) + " is too large");
  }
  clear_openssl_errors();
  const BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    return fail(openssl_error(ErrorCode::Internal, "BIO_new_mem_buf"));
  }
  std::vector<PemBlock> blocks;
  while (true) {
    char* name_raw = nullptr;
    char* header_raw = nullptr;
    unsigned char* data_raw = nullptr;
    long length = 0;
    const int ok = PEM_read_bio_ex(bio.get(), &name_raw, &header_raw, &data_raw, &length,
                                   PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE);
    const std::unique_ptr<char, FnDeleter<free_secure_char>> name(name_raw);
    const std::unique_ptr<char, FnDeleter<free_secure_char>> header(header_raw);
    const auto data_length = static_cast<std::size_t>(std::max(length, 0L));
    const ScopeExit free_data([data_raw, data_length] {
      if (data_raw != nullptr) {
        OPENSSL_secure_clear_free(data_raw, data_length);
      }
    });
    if (ok != 1) {
      const unsigned long last = ERR_peek_last_error();
      if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
        clear_openssl_errors();  // The normal end of the text: no further BEGIN line.
        break;
      }
      return fail(parse_error_with_reasons(
          std::string(what) + " holds a damaged PEM block (block " +
              std::to_string(blocks.size() + 1) + ")",
          "; replace the file with the one your ACME client wrote (APIG.2106)"));
    }
    PemBlock block;
    block.name = name ? name.get() : "";
    block.encrypted =
        header && std::string_view(header.get()).find("ENCRYPTED") != std::string_view::npos;
    // std::string of the exact size: no reallocation, so no stray copy of key bytes.
    block.der = Secret(std::string(as_chars(data_raw), data_length));
    blocks.push_back(std::move(block));
  }
  return blocks;
}

// For a file with no PEM block at all: what it looks like instead, with the fix.
Error not_pem_error(std::string_view text, std::string_view what, std::string_view expected) {
  if (is_blank(text)) {
    return {ErrorCode::ParseError, std::string(what) + " is empty; expected " +
                                       std::string(expected) +
                                       " (a renewal may be in progress, or the path is wrong) "
                                       "(APIG.2106)"};
  }
  if (static_cast<unsigned char>(text.front()) == 0x30) {  // An ASN.1 SEQUENCE: DER.
    return {ErrorCode::ParseError,
            std::string(what) +
                " is DER (binary), not PEM; convert it, e.g. `openssl x509 -inform der -in FILE "
                "-out FILE.pem` for a certificate or `openssl pkey -inform der` for a key "
                "(APIG.2106)"};
  }
  return {ErrorCode::ParseError, std::string(what) + " holds no PEM block; expected " +
                                     std::string(expected) + " (APIG.2106)"};
}

const unsigned char* der_data(const Secret& der) {
  return as_bytes(der.view().data());
}

long der_length(const Secret& der) {
  return static_cast<long>(der.size());
}

Result<std::vector<X509Ptr>> parse_certificates(std::string_view text, const BundlePaths& paths) {
  const std::string what = certificate_file(paths);
  auto blocks = read_pem_blocks(text, what);
  if (!blocks) {
    return fail(std::move(blocks.error()));
  }
  if (blocks->size() > kMaxChainCertificates) {
    return fail(ErrorCode::InvalidArgument,
                what + " holds " + std::to_string(blocks->size()) + " PEM blocks, more than the " +
                    std::to_string(kMaxChainCertificates) +
                    " certificates a chain can reasonably have (leaf and intermediates); point "
                    "'cert' at the fullchain.pem your ACME client wrote, not a CA bundle");
  }
  std::vector<X509Ptr> certificates;
  for (std::size_t index = 0; index < blocks->size(); ++index) {
    const PemBlock& block = (*blocks)[index];
    if (ends_with(block.name, "PRIVATE KEY")) {
      return fail(ErrorCode::ParseError,
                  what + " contains a private key (block " + std::to_string(index + 1) + ", '" +
                      block.name +
                      "'); the certificate file must hold only certificates: point 'cert' at "
                      "fullchain.pem and 'key' at privkey.pem (APIG.2106)");
    }
    if (block.name != "CERTIFICATE") {
      return fail(ErrorCode::ParseError,
                  what + " contains a '" + block.name + "' block (block " +
                      std::to_string(index + 1) +
                      "); the certificate file must hold only CERTIFICATE blocks, leaf first "
                      "(APIG.2106)");
    }
    const unsigned char* cursor = der_data(block.der);
    X509Ptr certificate(d2i_X509(nullptr, &cursor, der_length(block.der)));
    if (!certificate) {
      return fail(parse_error_with_reasons(
          what + ": certificate " + std::to_string(index + 1) + " is not a valid X.509 certificate",
          "; replace the file with the one your ACME client wrote (APIG.2106)"));
    }
    certificates.push_back(std::move(certificate));
  }
  if (certificates.empty()) {
    return fail(not_pem_error(text, what, "PEM certificates (-----BEGIN CERTIFICATE-----)"));
  }
  return certificates;
}

// Reads a memory BIO's whole content into `out`, sized exactly first.
bool drain_bio(BIO* bio, std::string& out) {
  const std::size_t pending = BIO_ctrl_pending(bio);
  out.assign(pending, '\0');
  if (pending == 0) {
    return true;
  }
  if (pending > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    return false;
  }
  return BIO_read(bio, out.data(), static_cast<int>(pending)) == static_cast<int>(pending);
}

// The PEM private key a secure-memory BIO holds, as a Secret (no unwiped copy on failure).
Result<Secret> drain_private_key(BIO* bio) {
  std::string pem;
  if (!drain_bio(bio, pem)) {
    Secret wipe_me(std::move(pem));
    return fail(openssl_error(ErrorCode::Internal, "reading the PKCS#8 private key"));
  }
  return Secret(std::move(pem));
}

// A private key as parse_private_key() found it.
struct PrivateKey {
  EvpPkeyPtr key;
  // The key file's block was an unencrypted PKCS#8 PrivateKeyInfo, version 0, without
  // attributes or trailing bytes: already the form to_pkcs8_pem() writes, so `pkcs8_pem`
  // holds the block's own DER as PEM and no encoder is built (about 0.9 M instructions).
  bool pkcs8_as_is = false;
  Secret pkcs8_pem;
};

// Whether `der` starts as a version-0 (RFC 5208) PrivateKeyInfo: a SEQUENCE whose first
// element is INTEGER 0. Version 1 (RFC 5958's OneAsymmetricKey) is re-encoded instead.
bool is_pkcs8_v1(std::span<const unsigned char> der) {
  if (der.size() < 2 || der[0] != 0x30) {
    return false;
  }
  std::size_t header = 2;
  if ((der[1] & 0x80U) != 0) {
    header += der[1] & 0x7fU;
  }
  return der.size() >= header + 3 && der[header] == 0x02 && der[header + 1] == 0x01 &&
         der[header + 2] == 0x00;
}

// "-----BEGIN PRIVATE KEY-----" around `der`, in a secure-memory BIO (cleansed when freed).
Result<Secret> pem_of_pkcs8(const unsigned char* der, std::size_t length) {
  const BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || length > static_cast<std::size_t>(std::numeric_limits<long>::max()) ||
      PEM_write_bio(bio.get(), "PRIVATE KEY", "", der, static_cast<long>(length)) <= 0) {
    return fail(openssl_error(ErrorCode::Internal, "writing the PKCS#8 private key as PEM"));
  }
  return drain_private_key(bio.get());
}

// The one private key among the key file's blocks, or why there is none.
Result<const PemBlock*> find_key_block(const std::vector<PemBlock>& blocks, std::string_view text,
                                       const std::string& what) {
  const PemBlock* key_block = nullptr;
  std::size_t key_count = 0;
  for (const PemBlock& block : blocks) {
    if (!ends_with(block.name, "PRIVATE KEY")) {
      continue;  // Certificates or EC PARAMETERS next to the key are harmless.
    }
    if (block.name == "ENCRYPTED PRIVATE KEY" || block.encrypted) {
      return fail(ErrorCode::InvalidArgument,
                  what +
                      " holds an encrypted private key, which APIG cannot use; store it "
                      "unencrypted with mode 0600, e.g. `openssl pkey -in KEY -out KEY.new` "
                      "(APIG.2105)");
    }
    if (block.name != "PRIVATE KEY" && block.name != "RSA PRIVATE KEY" &&
        block.name != "EC PRIVATE KEY") {
      return fail(ErrorCode::ParseError,
                  what + " holds a '" + block.name +
                      "' block; apig-certd reads PKCS#8 'PRIVATE KEY', 'RSA PRIVATE KEY' or 'EC "
                      "PRIVATE KEY' (APIG.2106)");
    }
    ++key_count;
    key_block = &block;
  }
  if (key_count > 1) {
    return fail(ErrorCode::ParseError, what + " holds " + std::to_string(key_count) +
                                           " private keys; keep only the certificate's key "
                                           "(APIG.2106)");
  }
  if (key_block == nullptr) {
    if (!blocks.empty()) {
      return fail(ErrorCode::ParseError,
                  what + " holds no private key (only '" + blocks.front().name +
                      "' blocks); point 'key' at the private key file, e.g. privkey.pem "
                      "(APIG.2106)");
    }
    return fail(not_pem_error(text, what, "a PEM private key (-----BEGIN PRIVATE KEY-----)"));
  }
  return key_block;
}

// A "PRIVATE KEY" block: a PKCS#8 PrivateKeyInfo. No key when it is not a valid one.
PrivateKey decode_pkcs8(const unsigned char* der, long length, KeyDecoders& decoders) {
  PrivateKey parsed;
  const unsigned char* info_end = der;
  const Pkcs8InfoPtr info(d2i_PKCS8_PRIV_KEY_INFO(nullptr, &info_end, length));
  if (!info) {
    return parsed;
  }
  // The decoder for the key's algorithm, as EVP_PKCS82PKEY() builds it (a context of
  // `decoders`); EVP_PKCS82PKEY() itself when that fails, for its fallbacks and reasons.
  const ASN1_OBJECT* algorithm = nullptr;
  std::array<char, 80> key_type{};
  if (PKCS8_pkey_get0(&algorithm, nullptr, nullptr, nullptr, info.get()) == 1) {
    const int written =
        OBJ_obj2txt(key_type.data(), static_cast<int>(key_type.size()), algorithm, 0);
    if (written > 0 && static_cast<std::size_t>(written) < key_type.size()) {
      parsed.key = decode_private_key(decoders, "PrivateKeyInfo", key_type.data(), der,
                                      static_cast<std::size_t>(length))
                       .key;
    }
  }
  if (!parsed.key) {
    clear_openssl_errors();
    parsed.key.reset(EVP_PKCS82PKEY(info.get()));
  }
  const STACK_OF(X509_ATTRIBUTE)* attributes = PKCS8_pkey_get0_attrs(info.get());
  parsed.pkcs8_as_is = parsed.key && info_end - der == length &&
                       is_pkcs8_v1({der, static_cast<std::size_t>(length)}) &&
                       (attributes == nullptr || sk_X509_ATTRIBUTE_num(attributes) == 0);
  return parsed;
}

Result<PrivateKey> parse_private_key(std::string_view text, const BundlePaths& paths,
                                     KeyDecoders& decoders) {
  const std::string what = key_file(paths);
  auto blocks = read_pem_blocks(text, what);
  if (!blocks) {
    return fail(std::move(blocks.error()));
  }
  Result<const PemBlock*> found = find_key_block(*blocks, text, what);
  if (!found) {
    return fail(std::move(found.error()));
  }
  const PemBlock* key_block = *found;
  clear_openssl_errors();
  const unsigned char* der = der_data(key_block->der);
  const auto length = static_cast<std::size_t>(der_length(key_block->der));
  PrivateKey parsed;
  if (key_block->name == "PRIVATE KEY") {
    parsed = decode_pkcs8(der, der_length(key_block->der), decoders);
  } else {
    // PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"): the type-specific decoder of a
    // context, then d2i_PrivateKey() (which accepts any structure) when that fails.
    const bool rsa = key_block->name == "RSA PRIVATE KEY";
    parsed.key = decode_private_key(decoders, "type-specific", rsa ? "RSA" : "EC", der, length).key;
    if (!parsed.key) {
      clear_openssl_errors();
      const unsigned char* cursor = der;
      parsed.key.reset(d2i_PrivateKey(rsa ? EVP_PKEY_RSA : EVP_PKEY_EC, nullptr, &cursor,
                                      der_length(key_block->der)));
    }
  }
  if (!parsed.key) {
    return fail(parse_error_with_reasons(
        what + ": the '" + key_block->name + "' block is not a valid private key",
        "; replace the file with the one your ACME client wrote (APIG.2106)"));
  }
  clear_openssl_errors();
  if (parsed.pkcs8_as_is) {
    auto pem = pem_of_pkcs8(der, length);
    if (!pem) {
      return fail(std::move(pem.error()));
    }
    parsed.pkcs8_pem = std::move(*pem);
  }
  return parsed;
}

Result<Secret> to_pkcs8_pem(EVP_PKEY* key) {
  // A secure-memory BIO: its buffer is cleansed when it grows and when it is freed.
  const BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(openssl_error(ErrorCode::Internal, "encoding the private key as PKCS#8"));
  }
  return drain_private_key(bio.get());
}

std::string name_one_line(const X509_NAME* name) {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || name == nullptr) {
    return {};
  }
  // OpenSSL's one-line form ("C = US, O = Let's Encrypt, CN = R3"), keeping UTF-8 as UTF-8.
  const unsigned long flags = (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
    clear_openssl_errors();
    return {};
  }
  std::string text;
  if (!drain_bio(bio.get(), text)) {
    return {};
  }
  return text;
}

std::string common_name_of(X509* certificate) {
  const X509_NAME* subject = X509_get_subject_name(certificate);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    clear_openssl_errors();
    return {};
  }
  std::string text(as_chars(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return text;
}

std::vector<std::string> dns_sans_of(X509* certificate) {
  std::vector<std::string> sans;
  const GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  clear_openssl_errors();
  if (!names) {
    return sans;
  }
  const int count = sk_GENERAL_NAME_num(names.get());
  for (int index = 0; index < count; ++index) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), index);
    if (name == nullptr || name->type != GEN_DNS) {
      continue;
    }
    // GENERAL_NAME is OpenSSL's tagged union; `type` was checked just above.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-union-access)
    const ASN1_IA5STRING* dns = name->d.dNSName;
    const std::string text(as_chars(ASN1_STRING_get0_data(dns)),
                           static_cast<std::size_t>(ASN1_STRING_length(dns)));
    if (text.find('\0') != std::string::npos) {
      continue;  // An embedded NUL is an attack on C string handling, never a real name.
    }
    sans.push_back(ascii_lower(text));
  }
  return sans;
}

std::string serial_of(X509* certificate) {
  const BignumPtr number(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!number) {
    clear_openssl_errors();
    return {};
  }
  char* hex = BN_bn2hex(number.get());
  if (hex == nullptr) {
    clear_openssl_errors();
    return {};
  }
  std::string text = ascii_lower(hex);
  OPENSSL_free(hex);
  const bool negative = !text.empty() && text.front() == '-';
  const std::size_t digits = negative ? 1 : 0;
  const std::size_t first_nonzero = text.find_first_not_of('0', digits);
  if (first_nonzero == std::string::npos) {
    return negative ? "-0" : "0";
  }
  return (negative ? "-" : "") + text.substr(first_nonzero);
}

std::optional<std::string> sha256_of(X509* certificate) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest.data(), &length) != 1) {
    return std::nullopt;
  }
  return hex_lower(std::span(digest.data(), length));
}

// Clamped to the whole seconds SystemTime holds (years 1677-2262), so every value is a whole
// second and survives the state file's ISO 8601 round trip (BundleFacts are cached there).
SystemTime to_system_time(std::int64_t seconds) {
  using std::chrono::duration_cast;
  constexpr std::int64_t kMax =
      duration_cast<std::chrono::seconds>(SystemTime::duration::max()).count();
  constexpr std::int64_t kMin =
      duration_cast<std::chrono::seconds>(SystemTime::duration::min()).count();
  return SystemTime(
      duration_cast<SystemTime::duration>(std::chrono::seconds(std::clamp(seconds, kMin, kMax))));
}

std::optional<SystemTime> time_of(const ASN1_TIME* time) {
  std::tm broken_down{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &broken_down) != 1) {
    clear_openssl_errors();
    return std::nullopt;
  }
  // timegm(3) with a 64-bit time_t: dates after 2038 and GeneralizedTime up to 9999 are fine.
  const std::time_t seconds = ::timegm(&broken_down);
  return to_system_time(static_cast<std::int64_t>(seconds));
}

// Whether `issuer` issued `subject`: names and key identifiers line up (X509_check_issued)
// and the signature verifies with the issuer's public key.
bool issued(X509* issuer, X509* subject) {
  if (X509_check_issued(issuer, subject) != X509_V_OK) {
    return false;
  }
  EVP_PKEY* issuer_key = X509_get0_pubkey(issuer);
  const bool verified = issuer_key != nullptr && X509_verify(subject, issuer_key) == 1;
  clear_openssl_errors();
  return verified;
}

KeyType key_type_of(const EVP_PKEY* key) {
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return KeyType::Rsa;
    case EVP_PKEY_EC:
      return KeyType::Ec;
    case EVP_PKEY_ED25519:
      return KeyType::Ed25519;
    default:
      return KeyType::Other;
  }
}

std::string curve_of(const EVP_PKEY* key) {
  std::array<char, 80> group{};
  std::size_t length = 0;
  if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &length) != 1) {
    clear_openssl_errors();
    return {};
  }
  const int nid = OBJ_sn2nid(group.data());
  const char* nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
  return nist != nullptr ? std::string(nist) : std::string(group.data(), length);
}

// One ChainLink per certificate after the leaf. `ordered` is leaf first; `positions` are the
// 1-based file positions of the same certificates.
std::vector<ChainLink> chain_links_of(const std::vector<X509*>& ordered,
                                      const std::vector<std::size_t>& positions) {
  std::vector<ChainLink> links;
  for (std::size_t index = 1; index < ordered.size(); ++index) {
    ChainLink link;
    link.file_position = positions[index];
    link.subject = name_one_line(X509_get_subject_name(ordered[index]));
    link.issues_previous = issued(ordered[index], ordered[index - 1]);
    link.self_signed = X509_self_signed(ordered[index], 1) == 1;
    for (std::size_t other = 0; other < ordered.size() && !link.issues_previous; ++other) {
      if (other != index && other != index - 1 && issued(ordered[index], ordered[other])) {
        link.issues_other = true;
        break;
      }
    }
    links.push_back(std::move(link));
  }
  clear_openssl_errors();
  return links;
}

}  // namespace

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::Rsa:
      return "RSA";
    case KeyType::Ec:
      return "EC";
    case KeyType::Ed25519:
      return "Ed25519";
    case KeyType::Other:
      return "other";
  }
  return "other";
}

std::string_view to_string(Severity severity) {
  return severity == Severity::Error ? "error" : "warning";
}

Result<Bundle> Bundle::load(const BundlePaths& paths) {
  KeyDecoders decoders;
  return load(paths, decoders);
}

Result<Bundle> Bundle::load(const BundlePaths& paths, KeyDecoders& decoders) {
  auto cert_file = read_whole_file(paths.cert, "certificate file");
  if (!cert_file) {
    return fail(std::move(cert_file.error()));
  }
  auto key_file_content = read_whole_file(paths.key, "key file");
  if (!key_file_content) {
    return fail(std::move(key_file_content.error()));
  }
  auto bundle = parse(cert_file->bytes.view(), key_file_content->bytes.view(), paths, decoders);
  if (!bundle) {
    return fail(std::move(bundle.error()));
  }
  if ((key_file_content->mode & S_IROTH) != 0) {
    bundle->facts_.load_warnings.push_back(
        {Severity::Warning, "",
         key_file(paths) + " is readable by all users; restrict it, e.g. `chmod o-rwx " +
             paths.key + "`"});
  }
  return bundle;
}

Result<Bundle> Bundle::parse(std::string_view certificate_text, std::string_view key_text,
                             const BundlePaths& paths) {
  KeyDecoders decoders;
  return parse(certificate_text, key_text, paths, decoders);
}

Result<Bundle> Bundle::parse(std::string_view certificate_text, std::string_view key_text,
                             const BundlePaths& paths, KeyDecoders& decoders) {
  auto certificates = parse_certificates(certificate_text, paths);
  if (!certificates) {
    return fail(std::move(certificates.error()));
  }
  auto key = parse_private_key(key_text, paths, decoders);
  if (!key) {
    return fail(std::move(key.error()));
  }

  Bundle bundle;
  bundle.facts_.paths = paths;

  // The leaf is the certificate that matches the key; without one, the first certificate.
  std::vector<X509*> ordered;
  std::vector<std::size_t> positions;
  std::size_t leaf_index = 0;
  for (std::size_t index = 0; index < certificates->size(); ++index) {
    if (EVP_PKEY_eq(X509_get0_pubkey((*certificates)[index].get()), key->key.get()) == 1) {
      bundle.facts_.key_matches_leaf = true;
      leaf_index = index;
      break;
    }
  }
  clear_openssl_errors();
  bundle.facts_.leaf_file_position = leaf_index + 1;
  ordered.push_back((*certificates)[leaf_index].get());
  positions.push_back(leaf_index + 1);
  for (std::size_t index = 0; index < certificates->size(); ++index) {
    if (index != leaf_index) {
      ordered.push_back((*certificates)[index].get());
      positions.push_back(index + 1);
    }
  }

  X509* leaf = ordered.front();
  auto sha256 = sha256_of(leaf);
  const auto not_before = time_of(X509_get0_notBefore(leaf));
  const auto not_after = time_of(X509_get0_notAfter(leaf));
  if (!sha256 || !not_before || !not_after) {
    return fail(parse_error_with_reasons(
        certificate_file(paths) + ": certificate " + std::to_string(leaf_index + 1) +
            " has an unreadable validity period or fingerprint",
        "; replace the file with the one your ACME client wrote (APIG.2106)"));
  }
  bundle.facts_.sha256 = std::move(*sha256);
  bundle.facts_.not_before = *not_before;
  bundle.facts_.not_after = *not_after;
  bundle.facts_.sans = dns_sans_of(leaf);
  bundle.facts_.common_name = common_name_of(leaf);
  bundle.facts_.subject = name_one_line(X509_get_subject_name(leaf));
  bundle.facts_.issuer = name_one_line(X509_get_issuer_name(leaf));
  bundle.facts_.serial = serial_of(leaf);
  if (const EVP_PKEY* public_key = X509_get0_pubkey(leaf); public_key != nullptr) {
    bundle.facts_.key_type = key_type_of(public_key);
    bundle.facts_.key_bits = EVP_PKEY_get_bits(public_key);
    if (bundle.facts_.key_type == KeyType::Ec) {
      bundle.facts_.ec_curve = curve_of(public_key);
    }
  }
  clear_openssl_errors();

  bundle.facts_.chain_links = chain_links_of(ordered, positions);

  const BioPtr pem_bio(BIO_new(BIO_s_mem()));
  if (!pem_bio) {
    return fail(openssl_error(ErrorCode::Internal, "BIO_new"));
  }
  for (X509* certificate : ordered) {
    if (PEM_write_bio_X509(pem_bio.get(), certificate) != 1) {
      return fail(openssl_error(ErrorCode::Internal, "PEM_write_bio_X509"));
    }
  }
  if (!drain_bio(pem_bio.get(), bundle.certificate_pem_)) {
    return fail(openssl_error(ErrorCode::Internal, "reading the certificate PEM"));
  }

  if (key->pkcs8_as_is) {
    bundle.private_key_pem_ = std::move(key->pkcs8_pem);
  } else {
    auto pkcs8 = to_pkcs8_pem(key->key.get());
    if (!pkcs8) {
      return fail(std::move(pkcs8.error()));
    }
    bundle.private_key_pem_ = std::move(*pkcs8);
  }
  return bundle;
}

Result<Bundle> load_bundle(const BundlePaths& paths) {
  return Bundle::load(paths);
}

Result<Bundle> load_bundle(const BundlePaths& paths, KeyDecoders& decoders) {
  return Bundle::load(paths, decoders);
}

Result<Bundle> parse_bundle(std::string_view certificate_text, std::string_view key_text,
                            const BundlePaths& paths) {
  return Bundle::parse(certificate_text, key_text, paths);
}

}  // namespace apig_certd::cert
