// URI-encoding and the canonical URI and query string of SDK-HMAC-SHA256.
//
// Every input is decoded first and encoded again, so "my%20api", "a*b" and "%27x%27" all end
// up in the single form the server computes, whatever escaping the caller chose for the
// wire. Path segments are decoded after splitting on '/', so an encoded slash stays part of
// its segment; the SDKs disagree here (Python and Go split the decoded path), and our own
// paths never contain one.
//
// The query is sorted by the encoded key, then by the encoded value, as REFERENCE.md §7
// states ("sort by key, and sort repeated keys by value"). The SDKs vary in the details: Go
// and Python sort the joined "k=v" strings, which differs when one key is a prefix of another
// and the next byte sorts before '='; Node sorts the decoded keys, which differs when an
// escape ('%' is 0x25) meets a letter or digit in the same position. The APIG parameters we
// send (limit, offset, name, ...) are plain lower-case words, where all of them agree.

#include "daemon/auth/canonical_request.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

namespace apig_certd::auth {

namespace {

bool is_unreserved(unsigned char byte) {
  return (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
         (byte >= '0' && byte <= '9') || byte == '-' || byte == '_' || byte == '.' || byte == '~';
}

std::optional<unsigned char> hex_value(char digit) {
  if (digit >= '0' && digit <= '9') {
    return static_cast<unsigned char>(digit - '0');
  }
  if (digit >= 'a' && digit <= 'f') {
    return static_cast<unsigned char>(digit - 'a' + 10);
  }
  if (digit >= 'A' && digit <= 'F') {
    return static_cast<unsigned char>(digit - 'A' + 10);
  }
  return std::nullopt;
}

Result<std::string> reencode(std::string_view raw) {
  auto decoded = percent_decode(raw);
  if (!decoded) {
    return fail(std::move(decoded.error()));
  }
  return uri_encode(*decoded);
}

}  // namespace

std::string uri_encode(std::string_view bytes) {
  static constexpr std::string_view kHexDigits = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(bytes.size());
  for (const char character : bytes) {
    const auto byte = static_cast<unsigned char>(character);
    if (is_unreserved(byte)) {
      encoded.push_back(character);
    } else {
      encoded.push_back('%');
      encoded.push_back(kHexDigits[byte >> 4U]);
      encoded.push_back(kHexDigits[byte & 0x0FU]);
    }
  }
  return encoded;
}

Result<std::string> percent_decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return fail(ErrorCode::ParseError, "truncated percent-escape");
    }
    const auto high = hex_value(text[i + 1]);
    const auto low = hex_value(text[i + 2]);
    if (!high || !low) {
      return fail(ErrorCode::ParseError, "malformed percent-escape");
    }
    decoded.push_back(static_cast<char>((*high << 4U) | *low));
    i += 2;
  }
  return decoded;
}

Result<std::string> canonical_uri(std::string_view raw_path) {
  std::string canonical;
  canonical.reserve(raw_path.size() + 1);
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = raw_path.find('/', start);
    const std::string_view segment = raw_path.substr(start, slash - start);
    auto encoded = reencode(segment);
    if (!encoded) {
      return fail(std::move(encoded.error()).with_context("in the path"));
    }
    canonical += *encoded;
    if (slash == std::string_view::npos) {
      break;
    }
    canonical.push_back('/');
    start = slash + 1;
  }
  if (canonical.empty() || canonical.back() != '/') {
    canonical.push_back('/');
  }
  return canonical;
}

Result<std::string> canonical_query_string(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> parameters;
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) {
      end = raw_query.size();
    }
    const std::string_view piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) {
      continue;
    }
    const std::size_t equals = piece.find('=');
    const std::string_view key = piece.substr(0, equals);
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1);
    auto encoded_key = reencode(key);
    if (!encoded_key) {
      return fail(std::move(encoded_key.error()).with_context("in the query"));
    }
    auto encoded_value = reencode(value);
    if (!encoded_value) {
      return fail(std::move(encoded_value.error()).with_context("in the query"));
    }
    parameters.emplace_back(std::move(*encoded_key), std::move(*encoded_value));
  }
  std::sort(parameters.begin(), parameters.end());

  std::string canonical;
  for (const auto& [key, value] : parameters) {
    if (!canonical.empty()) {
      canonical.push_back('&');
    }
    canonical += key;
    canonical.push_back('=');
    canonical += value;
  }
  return canonical;
}

}  // namespace apig_certd::auth
