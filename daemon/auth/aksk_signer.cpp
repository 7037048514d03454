// SDK-HMAC-SHA256: signing requests to Huawei Cloud, and verifying them in the simulator.
//
// The signature covers a canonical request built from the method, the canonical URI and
// query (canonical_request.h), the signed headers (lower-case names, trimmed values, sorted)
// and the hex SHA-256 of the body: HMAC-SHA256(SK, "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" +
// hex(SHA-256(canonical request))). REFERENCE.md §7 gives the steps; the vectors in
// tests/data/signing-vectors.json, produced by Huawei's Node.js SDK, pin every detail.
//
// Signing and verifying share one canonicalisation function, so the simulator cannot accept
// something the daemon would not produce, and vice versa. Both are pure: the date is an
// input, and so is `now` for the skew check, which keeps them testable with fixed vectors.
//
// Which headers are signed: the Node, Python and C++ SDKs sign every header they send,
// content-type included, and add host; the vectors confirm "content-type;host;x-project-id;
// x-sdk-date". We do the same, except for names containing '_', which the Go SDK leaves
// unsigned because nginx-based gateways drop them. The signer refuses to take Host, X-Sdk-Date,
// X-Project-Id, X-Security-Token or Authorization from the caller: it sets them itself, so a
// value it signed can never differ from the value it sends.
//
// The URL must already be in its on-the-wire form. Characters outside RFC 3986 (a raw space,
// raw UTF-8) are refused instead of escaped, because curl could escape them differently and
// the server would then verify a request other than the one we signed.
//
// Secrets: the SK is only ever handed to hmac_sha256(); the verifier's expected signature,
// which would let anyone forge this one request, is wiped after the comparison and never
// appears in an error. Header values never appear in errors either, because one of them may
// be a security token.

#include "daemon/auth/aksk_signer.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdint>
#include <utility>

#include "daemon/auth/canonical_request.h"
#include "daemon/core/ascii.h"
#include "daemon/core/hex.h"
#include "daemon/core/trim.h"
#include "daemon/crypto/digest.h"

namespace apig_certd::auth {

namespace {

constexpr std::string_view kHostHeader = "Host";
constexpr std::string_view kSdkDateHeader = "X-Sdk-Date";
constexpr std::string_view kProjectIdHeader = "X-Project-Id";
constexpr std::string_view kSecurityTokenHeader = "X-Security-Token";
constexpr std::string_view kAuthorizationHeader = "Authorization";
constexpr std::string_view kContentSha256Header = "x-sdk-content-sha256";

// A header as it enters the canonical request: lower-case name, trimmed value.
struct CanonicalHeader {
  std::string name;
  std::string value;

  friend bool operator<(const CanonicalHeader& a, const CanonicalHeader& b) {
    return a.name < b.name;
  }
};

struct Canonical {
  std::string request;
  std::string signed_headers;
};

char to_upper(char character) {
  return (character >= 'a' && character <= 'z') ? static_cast<char>(character - 'a' + 'A')
                                                : character;
}

std::string upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), to_upper);
  return result;
}

bool is_digit(char character) {
  return character >= '0' && character <= '9';
}

bool is_alpha(char character) {
  return (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z');
}

// RFC 9110 token: header names, methods, access keys.
bool is_token(std::string_view text) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char character) {
    return is_alpha(character) || is_digit(character) ||
           kSymbols.find(character) != std::string_view::npos;
  });
}

// A header value may hold visible characters, spaces, tabs and non-ASCII bytes, but no other
// control character: a CR or LF would let a value inject further headers.
bool is_valid_header_value(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char character) {
    const auto byte = static_cast<unsigned char>(character);
    return (byte < 0x20U && byte != '\t') || byte == 0x7FU;
  });
}

// RFC 3986 pchar, plus '/' (and '?' in the query). '%' is allowed here and its escape checked
// when the path or query is canonicalised.
bool is_uri_character(char character, bool in_query) {
  static constexpr std::string_view kAllowed = "-._~!$&'()*+,;=:@/%";
  return is_alpha(character) || is_digit(character) ||
         kAllowed.find(character) != std::string_view::npos || (in_query && character == '?');
}

bool is_host_character(char character) {
  return is_alpha(character) || is_digit(character) || character == '-' || character == '.';
}

bool is_lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char character) {
    return is_digit(character) || (character >= 'a' && character <= 'f');
  });
}

// The same error with another code, keeping its text; used where a parse failure of a
// component means the caller's argument as a whole is invalid.
Error recode(const Error& error, ErrorCode code, std::string context) {
  return Error(code, error.to_string()).with_context(std::move(context));
}

struct ParsedUrl {
  std::string host;  // The Host header value.
  std::string_view path;
  std::string_view query;
};

Result<std::uint32_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) {
    return fail(ErrorCode::InvalidArgument, "URL port must be a number from 1 to 65535");
  }
  std::uint32_t port = 0;
  for (const char digit : text) {
    port = port * 10 + static_cast<std::uint32_t>(digit - '0');
  }
  if (port == 0 || port > 65535) {
    return fail(ErrorCode::InvalidArgument, "URL port must be a number from 1 to 65535");
  }
  return port;
}

bool is_ipv6_character(char character) {
  return is_digit(character) || (ascii_lower(character) >= 'a' && ascii_lower(character) <= 'f') ||
         character == ':' || character == '.';
}

// The Host header value for a URL authority ("host", "host:port", "[v6]" or "[v6]:port"):
// the host in lower case, plus ":port" unless the port is the scheme's default.
Result<std::string> host_header_of(std::string_view authority, std::uint32_t default_port) {
  if (authority.find('@') != std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "URL must not contain user information");
  }
  std::string_view host;
  std::optional<std::string_view> port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return fail(ErrorCode::InvalidArgument, "URL has an unterminated IPv6 address");
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return fail(ErrorCode::InvalidArgument, "URL has text after the IPv6 address");
    }
    if (!after.empty()) {
      port_text = after.substr(1);
    }
    const std::string_view address = host.substr(1, host.size() - 2);
    if (address.empty() || !std::all_of(address.begin(), address.end(), is_ipv6_character)) {
      return fail(ErrorCode::InvalidArgument, "URL has an invalid IPv6 address");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_character)) {
      return fail(ErrorCode::InvalidArgument, "URL host is empty or has invalid characters");
    }
  }

  std::string host_header = ascii_lower(host);
  if (port_text) {
    auto port = parse_port(*port_text);
    if (!port) {
      return fail(std::move(port.error()));
    }
    if (*port != default_port) {
      host_header += ':';
      host_header += std::to_string(*port);
    }
  }
  return host_header;
}

Result<ParsedUrl> parse_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "URL must start with https:// or http://");
  }
  const std::string scheme = ascii_lower(url.substr(0, scheme_end));
  std::uint32_t default_port = 0;
  if (scheme == "https") {
    default_port = 443;
  } else if (scheme == "http") {
    default_port = 80;
  } else {
    return fail(ErrorCode::InvalidArgument, "URL scheme must be https or http");
  }

  const std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  auto host = host_header_of(rest.substr(0, authority_end), default_port);
  if (!host) {
    return fail(std::move(host.error()));
  }

  ParsedUrl parsed;
  parsed.host = std::move(*host);
  const std::string_view target = rest.substr(authority_end);
  if (target.find('#') != std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "URL must not contain a fragment");
  }
  const std::size_t question = target.find('?');
  parsed.path = target.substr(0, question);
  if (question != std::string_view::npos) {
    parsed.query = target.substr(question + 1);
  }
  if (!std::all_of(parsed.path.begin(), parsed.path.end(),
                   [](char character) { return is_uri_character(character, false); }) ||
      !std::all_of(parsed.query.begin(), parsed.query.end(),
                   [](char character) { return is_uri_character(character, true); })) {
    return fail(ErrorCode::InvalidArgument,
                "URL path or query has a character that must be percent-encoded");
  }
  return parsed;
}

// Builds the canonical request. `headers` are the signed headers, sorted by name.
Canonical canonicalize(std::string_view method, std::string_view uri, std::string_view query,
                       std::span<const CanonicalHeader> headers, std::string_view payload_hash) {
  Canonical canonical;
  for (const CanonicalHeader& header : headers) {
    if (!canonical.signed_headers.empty()) {
      canonical.signed_headers.push_back(';');
    }
    canonical.signed_headers += header.name;
  }
  std::string& text = canonical.request;
  text += method;
  text += '\n';
  text += uri;
  text += '\n';
  text += query;
  text += '\n';
  for (const CanonicalHeader& header : headers) {
    text += header.name;
    text += ':';
    text += header.value;
    text += '\n';
  }
  text += '\n';
  text += canonical.signed_headers;
  text += '\n';
  text += payload_hash;
  return canonical;
}

std::string make_string_to_sign(std::string_view sdk_date, std::string_view canonical_request) {
  std::string text(kSigningAlgorithm);
  text += '\n';
  text += sdk_date;
  text += '\n';
  text += crypto::sha256_hex(canonical_request);
  return text;
}

std::string signature_hex(const Secret& secret_key, std::string_view string_to_sign) {
  crypto::Sha256Digest mac = crypto::hmac_sha256(secret_key.view(), string_to_sign);
  std::string hex = hex_lower(mac);
  crypto::cleanse(mac);
  return hex;
}

std::string authorization_value(std::string_view access_key, std::string_view signed_headers,
                                std::string_view signature) {
  std::string value(kSigningAlgorithm);
  value += " Access=";
  value += access_key;
  value += ", SignedHeaders=";
  value += signed_headers;
  value += ", Signature=";
  value += signature;
  return value;
}

void append_digits(std::string& text, unsigned value, std::size_t width) {
  std::array<char, 10> digits{};
  for (std::size_t i = width; i > 0; --i) {
    digits.at(i - 1) = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  text.append(digits.data(), width);
}

// The value of digits [position, position + count) of an all-digit text.
unsigned read_digits(std::string_view text, std::size_t position, std::size_t count) {
  unsigned value = 0;
  for (std::size_t i = position; i < position + count; ++i) {
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return value;
}

// The values of every received header called `name` (case-insensitive).
std::vector<std::string_view> find_headers(std::span<const Header> headers, std::string_view name) {
  std::vector<std::string_view> values;
  for (const Header& header : headers) {
    if (equals_ignoring_case(header.name, name)) {
      values.emplace_back(header.value);
    }
  }
  return values;
}

// Turns the caller's headers and the ones we add into what is sent and what is signed.
Result<void> collect_headers(const RequestToSign& request, const Credentials& credentials,
                             const std::string& host, std::vector<Header>& sent,
                             std::vector<CanonicalHeader>& signed_headers) {
  static constexpr std::array<std::string_view, 5> kReserved = {
      kHostHeader, kSdkDateHeader, kProjectIdHeader, kSecurityTokenHeader, kAuthorizationHeader};

  auto add = [&](std::string_view name, std::string_view value) {
    sent.push_back(Header{std::string(name), std::string(value)});
    signed_headers.push_back(CanonicalHeader{ascii_lower(name), std::string(value)});
  };
  add(kHostHeader, host);
  add(kSdkDateHeader, request.sdk_date);
  if (!request.project_id.empty()) {
    if (!is_valid_header_value(request.project_id)) {
      return fail(ErrorCode::InvalidArgument, "project id has a control character");
    }
    add(kProjectIdHeader, trim_blanks(request.project_id));
  }
  if (credentials.security_token) {
    const std::string_view token = credentials.security_token->view();
    if (token.empty() || !is_valid_header_value(token)) {
      return fail(ErrorCode::InvalidArgument, "security token is empty or has a control character");
    }
    add(kSecurityTokenHeader, trim_blanks(token));
  }

  for (std::size_t i = 0; i < request.headers.size(); ++i) {
    const Header& header = request.headers[i];
    if (!is_token(header.name)) {
      return fail(ErrorCode::InvalidArgument, "a header name is empty or not a valid token");
    }
    const bool reserved =
        std::any_of(kReserved.begin(), kReserved.end(), [&](std::string_view reserved_name) {
          return equals_ignoring_case(header.name, reserved_name);
        });
    if (reserved) {
      return fail(ErrorCode::InvalidArgument,
                  "header '" + header.name + "' is set by the signer and may not be given");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (equals_ignoring_case(request.headers[j].name, header.name)) {
        return fail(ErrorCode::InvalidArgument, "header '" + header.name + "' is given twice");
      }
    }
    if (!is_valid_header_value(header.value)) {
      return fail(ErrorCode::InvalidArgument,
                  "header '" + header.name + "' has a control character in its value");
    }
    const std::string_view value = trim_blanks(header.value);
    sent.push_back(Header{header.name, std::string(value)});
    if (header.name.find('_') == std::string::npos) {
      signed_headers.push_back(CanonicalHeader{ascii_lower(header.name), std::string(value)});
    }
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  return {};
}

struct ParsedAuthorization {
  std::string_view access_key;
  std::string_view signed_headers;
  std::string_view signature;
};

Result<ParsedAuthorization> parse_authorization(std::string_view value) {
  value = trim_blanks(value);
  if (value.substr(0, kSigningAlgorithm.size()) != kSigningAlgorithm ||
      value.size() == kSigningAlgorithm.size() || value[kSigningAlgorithm.size()] != ' ') {
    return fail(ErrorCode::ParseError, "Authorization does not use SDK-HMAC-SHA256");
  }
  std::optional<std::string_view> access_key;
  std::optional<std::string_view> signed_headers;
  std::optional<std::string_view> signature;
  std::string_view rest = value.substr(kSigningAlgorithm.size() + 1);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view part = trim_blanks(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return fail(ErrorCode::ParseError, "Authorization has a part without '='");
    }
    const std::string_view key = part.substr(0, equals);
    std::optional<std::string_view>* slot = nullptr;
    if (key == "Access") {
      slot = &access_key;
    } else if (key == "SignedHeaders") {
      slot = &signed_headers;
    } else if (key == "Signature") {
      slot = &signature;
    } else {
      return fail(ErrorCode::ParseError, "Authorization has an unknown part");
    }
    if (slot->has_value()) {
      return fail(ErrorCode::ParseError, "Authorization repeats " + std::string(key));
    }
    *slot = part.substr(equals + 1);
  }
  if (!access_key || !signed_headers || !signature) {
    return fail(ErrorCode::ParseError, "Authorization needs Access, SignedHeaders and Signature");
  }
  if (!is_token(*access_key)) {
    return fail(ErrorCode::ParseError, "Authorization has an invalid access key");
  }
  if (signature->size() != 2 * crypto::kSha256Size || !is_lower_hex(*signature)) {
    return fail(ErrorCode::ParseError,
                "Authorization signature is not 64 lower-case hex characters");
  }
  return ParsedAuthorization{*access_key, *signed_headers, *signature};
}

// Splits and checks SignedHeaders: lower-case tokens, strictly ascending (so no repeats).
Result<std::vector<std::string_view>> parse_signed_headers(std::string_view list) {
  std::vector<std::string_view> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t semicolon = list.find(';', start);
    const std::string_view name = list.substr(start, semicolon - start);
    if (!is_token(name) || ascii_lower(name) != name) {
      return fail(ErrorCode::ParseError, "SignedHeaders has an empty or invalid name");
    }
    if (!names.empty() && !(names.back() < name)) {
      return fail(ErrorCode::ParseError, "SignedHeaders is not sorted or repeats a name");
    }
    names.push_back(name);
    if (semicolon == std::string_view::npos) {
      break;
    }
    start = semicolon + 1;
  }
  return names;
}

std::string redacted_for_message(std::string_view method, std::string_view uri,
                                 std::string_view query, std::vector<CanonicalHeader> headers,
                                 std::string_view payload_hash) {
  for (CanonicalHeader& header : headers) {
    if (header.name == ascii_lower(kSecurityTokenHeader)) {
      header.value = "<redacted>";
    }
  }
  std::string text = canonicalize(method, uri, query, headers, payload_hash).request;
  std::replace(text.begin(), text.end(), '\n', '|');
  return text;
}

}  // namespace

Result<SignedRequest> sign(const RequestToSign& request, const Credentials& credentials) {
  if (!is_token(credentials.access_key)) {
    return fail(ErrorCode::InvalidArgument, "access key is empty or has invalid characters");
  }
  if (credentials.secret_key.empty()) {
    return fail(ErrorCode::InvalidArgument, "secret key is empty");
  }
  if (!is_token(request.method)) {
    return fail(ErrorCode::InvalidArgument, "HTTP method is empty or not a token");
  }
  if (auto date = parse_sdk_date(request.sdk_date); !date) {
    return fail(recode(date.error(), ErrorCode::InvalidArgument, "X-Sdk-Date"));
  }
  auto url = parse_url(request.url);
  if (!url) {
    return fail(std::move(url.error()));
  }
  auto uri = canonical_uri(url->path);
  if (!uri) {
    return fail(recode(uri.error(), ErrorCode::InvalidArgument, "URL"));
  }
  auto query = canonical_query_string(url->query);
  if (!query) {
    return fail(recode(query.error(), ErrorCode::InvalidArgument, "URL"));
  }

  SignedRequest signed_request;
  std::vector<CanonicalHeader> signed_headers;
  if (auto collected =
          collect_headers(request, credentials, url->host, signed_request.headers, signed_headers);
      !collected) {
    return fail(std::move(collected.error()));
  }

  // REFERENCE.md §7: an X-Sdk-Content-Sha256 header stands in for the body hash.
  std::string payload_hash;
  const auto content_sha256 = std::find_if(
      signed_request.headers.begin(), signed_request.headers.end(),
      [](const Header& header) { return equals_ignoring_case(header.name, kContentSha256Header); });
  if (content_sha256 != signed_request.headers.end()) {
    payload_hash = content_sha256->value;
  } else {
    payload_hash = crypto::sha256_hex(request.body);
  }

  Canonical canonical =
      canonicalize(upper(request.method), *uri, *query, signed_headers, payload_hash);
  signed_request.canonical_request = std::move(canonical.request);
  signed_request.signed_headers = std::move(canonical.signed_headers);
  signed_request.string_to_sign =
      make_string_to_sign(request.sdk_date, signed_request.canonical_request);
  const std::string signature =
      signature_hex(credentials.secret_key, signed_request.string_to_sign);
  signed_request.authorization =
      authorization_value(credentials.access_key, signed_request.signed_headers, signature);
  signed_request.headers.push_back(
      Header{std::string(kAuthorizationHeader), signed_request.authorization});
  return signed_request;
}

std::string format_sdk_date(SystemTime time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss time_of_day{seconds - days};
  const int year = static_cast<int>(date.year());
  assert(year >= 0 && year <= 9999);

  std::string text;
  text.reserve(16);
  append_digits(text, static_cast<unsigned>(year), 4);
  append_digits(text, static_cast<unsigned>(date.month()), 2);
  append_digits(text, static_cast<unsigned>(date.day()), 2);
  text += 'T';
  append_digits(text, static_cast<unsigned>(time_of_day.hours().count()), 2);
  append_digits(text, static_cast<unsigned>(time_of_day.minutes().count()), 2);
  append_digits(text, static_cast<unsigned>(time_of_day.seconds().count()), 2);
  text += 'Z';
  return text;
}

Result<SystemTime> parse_sdk_date(std::string_view text) {
  static constexpr std::string_view kShape = "DDDDDDDDTDDDDDDZ";
  bool shaped = text.size() == kShape.size();
  for (std::size_t i = 0; shaped && i < text.size(); ++i) {
    shaped = kShape[i] == 'D' ? is_digit(text[i]) : text[i] == kShape[i];
  }
  if (!shaped) {
    return fail(ErrorCode::ParseError, "X-Sdk-Date must look like YYYYMMDDTHHMMSSZ");
  }
  const std::chrono::year_month_day date{
      std::chrono::year{static_cast<int>(read_digits(text, 0, 4))},
      std::chrono::month{read_digits(text, 4, 2)}, std::chrono::day{read_digits(text, 6, 2)}};
  const unsigned hours = read_digits(text, 9, 2);
  const unsigned minutes = read_digits(text, 11, 2);
  const unsigned seconds = read_digits(text, 13, 2);
  if (!date.ok() || hours > 23 || minutes > 59 || seconds > 59) {
    return fail(ErrorCode::ParseError, "X-Sdk-Date names a date or time that does not exist");
  }
  const auto time = std::chrono::sys_days{date} + std::chrono::hours{hours} +
                    std::chrono::minutes{minutes} + std::chrono::seconds{seconds};
  return std::chrono::time_point_cast<SystemTime::duration>(time);
}

Result<void> verify(const ReceivedRequest& request, const SecretKeyLookup& lookup_secret_key,
                    SystemTime now) {
  const std::vector<std::string_view> authorizations =
      find_headers(request.headers, kAuthorizationHeader);
  if (authorizations.empty()) {
    return fail(ErrorCode::InvalidArgument, "missing Authorization header");
  }
  if (authorizations.size() > 1) {
    return fail(ErrorCode::ParseError, "more than one Authorization header");
  }
  auto authorization = parse_authorization(authorizations.front());
  if (!authorization) {
    return fail(std::move(authorization.error()));
  }
  auto names = parse_signed_headers(authorization->signed_headers);
  if (!names) {
    return fail(std::move(names.error()));
  }
  const std::string sdk_date_name = ascii_lower(kSdkDateHeader);
  if (!std::binary_search(names->begin(), names->end(), sdk_date_name)) {
    return fail(ErrorCode::ParseError, "SignedHeaders does not include x-sdk-date");
  }
  if (std::binary_search(names->begin(), names->end(), ascii_lower(kAuthorizationHeader))) {
    return fail(ErrorCode::ParseError, "SignedHeaders includes authorization");
  }

  std::vector<CanonicalHeader> signed_headers;
  for (const std::string_view name : *names) {
    const std::vector<std::string_view> values = find_headers(request.headers, name);
    if (values.size() != 1) {
      return fail(ErrorCode::ParseError, "signed header '" + std::string(name) + "' is " +
                                             (values.empty() ? "missing" : "repeated"));
    }
    signed_headers.push_back(
        CanonicalHeader{std::string(name), std::string(trim_blanks(values[0]))});
  }
  // Present: x-sdk-date is in the list, checked above.
  const std::string_view sdk_date =
      std::find_if(signed_headers.begin(), signed_headers.end(),
                   [&](const CanonicalHeader& header) { return header.name == sdk_date_name; })
          ->value;
  auto date = parse_sdk_date(sdk_date);
  if (!date) {
    return fail(std::move(date.error()));
  }
  if (request.method.empty() || !is_token(request.method)) {
    return fail(ErrorCode::ParseError, "HTTP method is empty or not a token");
  }
  auto uri = canonical_uri(request.path);
  if (!uri) {
    return fail(std::move(uri.error()));
  }
  auto query = canonical_query_string(request.raw_query);
  if (!query) {
    return fail(std::move(query.error()));
  }

  const std::string access_key(authorization->access_key);
  const std::optional<Secret> secret_key = lookup_secret_key(access_key);
  if (!secret_key) {
    return fail(ErrorCode::NotFound, "unknown access key '" + access_key + "'");
  }

  const auto skew = std::chrono::floor<std::chrono::seconds>(now - *date);
  if (std::chrono::abs(skew) > kMaxClockSkew) {
    return fail(ErrorCode::Timeout,
                "signature expired: X-Sdk-Date is " + std::to_string(skew.count()) +
                    " s from the server's time (the limit is " +
                    std::to_string(std::chrono::seconds(kMaxClockSkew).count()) + " s)");
  }

  const std::vector<std::string_view> content_sha256 =
      find_headers(request.headers, kContentSha256Header);
  if (content_sha256.size() > 1) {
    return fail(ErrorCode::ParseError, "more than one X-Sdk-Content-Sha256 header");
  }
  const std::string payload_hash = content_sha256.empty()
                                       ? crypto::sha256_hex(request.body)
                                       : std::string(trim_blanks(content_sha256.front()));

  const std::string method = upper(request.method);
  const Canonical canonical = canonicalize(method, *uri, *query, signed_headers, payload_hash);
  const std::string string_to_sign = make_string_to_sign(sdk_date, canonical.request);
  std::string expected = signature_hex(*secret_key, string_to_sign);
  const bool matches = crypto::equal_constant_time(expected, authorization->signature);
  crypto::cleanse(expected);
  if (!matches) {
    return fail(
        ErrorCode::PermissionDenied,
        "signature mismatch for access key '" + access_key + "'; canonical request: " +
            redacted_for_message(method, *uri, *query, std::move(signed_headers), payload_hash));
  }
  return {};
}

}  // namespace apig_certd::auth
