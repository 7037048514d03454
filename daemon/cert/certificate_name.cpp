// APIG certificate names: {prefix}_{YYYYMMDD}_{hhhhhhhh}, always valid for APIG.
//
// APIG accepts ^[A-Za-z][A-Za-z0-9_]{3,49}$ (APIG.2012 otherwise). The prefix comes from the
// operator's config, so it may hold anything: dashes and dots from a domain name, UTF-8, a
// leading digit. Rather than reject such configs, the prefix is fitted: each invalid character
// becomes '_' (a multi-byte UTF-8 character becomes a single '_', so "très" reads "tr_s"), a
// letter is put in front when needed, and the prefix is cut from the end to leave room for the
// suffix. The suffix is never cut: the date and the fingerprint are what make "already bound"
// decidable from the name alone, and both have fixed lengths (18 characters with separators).

#include "daemon/cert/certificate_name.h"

#include <algorithm>
#include <array>
#include <ctime>

namespace apig_certd::cert {

namespace {

bool is_letter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_letter(c) || is_digit(c) || c == '_';
}

// "_YYYYMMDD" of `time` in UTC.
std::string date_suffix(SystemTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm broken_down{};
  std::array<char, 16> text{};
  if (::gmtime_r(&seconds, &broken_down) == nullptr ||
      std::strftime(text.data(), text.size(), "%Y%m%d", &broken_down) != 8) {
    return "_00000000";  // Only for years beyond 9999, which SystemTime cannot hold anyway.
  }
  return "_" + std::string(text.data(), 8);
}

// "_hhhhhhhh" from the first 8 characters of `sha256_hex`.
std::string hash_suffix(std::string_view sha256_hex) {
  std::string text = "_";
  for (std::size_t index = 0; index < 8; ++index) {
    char c = index < sha256_hex.size() ? sha256_hex[index] : '0';
    if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    }
    const bool hex = is_digit(c) || (c >= 'a' && c <= 'f');
    text += hex ? c : '0';
  }
  return text;
}

std::string fitted_prefix(std::string_view prefix) {
  std::string text;
  for (const char c : prefix) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0U) == 0x80U) {
      continue;  // A UTF-8 continuation byte: its character already became one '_'.
    }
    text += is_name_char(c) ? c : '_';
  }
  if (text.empty()) {
    return "cert";
  }
  if (!is_letter(text.front())) {
    text.insert(text.begin(), 'c');
  }
  return text;
}

}  // namespace

std::string make_certificate_name(std::string_view prefix, SystemTime not_after,
                                  std::string_view sha256_hex) {
  const std::string suffix = date_suffix(not_after) + hash_suffix(sha256_hex);
  std::string name = fitted_prefix(prefix);
  const std::size_t room = kMaxCertificateNameLength - suffix.size();
  if (name.size() > room) {
    name.resize(room);
  }
  return name + suffix;
}

std::string certificate_name(std::string_view prefix, const BundleFacts& facts) {
  return make_certificate_name(prefix, facts.not_after, facts.sha256);
}

bool is_valid_certificate_name(std::string_view name) {
  if (name.size() < 4 || name.size() > kMaxCertificateNameLength || !is_letter(name.front())) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), is_name_char);
}

}  // namespace apig_certd::cert
