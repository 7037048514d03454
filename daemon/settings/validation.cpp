// Value checks for the config loader: syntax of names, IDs, domains and URLs, and the
// "did you mean" search for misspelt keys.
//
// These are deliberately strict and small. A domain must be a plain ASCII host name (IDNs
// in their xn-- form) because that is what APIG stores and what a certificate SAN holds; a
// URL is parsed only as far as the loader needs (scheme, host, port) to enforce "https, or
// http to loopback". No function here quotes a URL back: a URL can carry credentials, and
// messages end up in journals.

#include "daemon/settings/validation.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "daemon/core/ascii.h"

namespace apig_certd::settings {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_alpha(c) || is_digit(c);
}

bool all_of(std::string_view text, bool (*predicate)(char)) {
  return std::all_of(text.begin(), text.end(), predicate);
}

Result<std::string> bad_domain(std::string why) {
  return fail(ErrorCode::InvalidArgument, std::move(why));
}

// One label of a host name, already lower case.
std::optional<std::string> label_problem(std::string_view label) {
  if (label.empty()) {
    return "it has an empty label (two dots in a row, or a leading or trailing dot)";
  }
  if (label.size() > 63) {
    return "the label '" + std::string(label) + "' is longer than 63 characters";
  }
  if (label.front() == '-' || label.back() == '-') {
    return "the label '" + std::string(label) + "' starts or ends with '-'";
  }
  for (const char c : label) {
    if (!is_alnum(c) && c != '-') {
      if (c == '*') {
        return "'*' is only allowed as the whole first label (\"*.example.com\")";
      }
      return "it contains the character '" + std::string(1, c) +
             "' (use letters, digits and '-'; write internationalised names in their xn-- form)";
    }
  }
  return std::nullopt;
}

}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitute});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates) {
  const std::string lowered = ascii_lower(word);
  for (const std::string_view candidate : candidates) {
    if (ascii_lower(candidate) == lowered) {
      return candidate;
    }
  }
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(lowered, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

bool is_secret_like_key(std::string_view key) {
  const std::string lowered = ascii_lower(key);
  constexpr std::array<std::string_view, 4> kWords{"key", "token", "password", "secret"};
  return std::any_of(kWords.begin(), kWords.end(), [&lowered](std::string_view word) {
    return lowered.find(word) != std::string::npos;
  });
}

bool is_valid_binding_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         all_of(name, [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         all_of(id, [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_valid_cert_name(std::string_view name) {
  return !name.empty() && name.size() <= 50 && is_alpha(name.front()) &&
         all_of(name, [](char c) { return is_alnum(c) || c == '_'; });
}

bool is_valid_region(std::string_view region) {
  return !region.empty() && region.size() <= 64 &&
         all_of(region, [](char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '-'; });
}

Result<std::string> normalize_domain(std::string_view domain) {
  if (domain.empty()) {
    return bad_domain("it is empty");
  }
  std::string lowered = ascii_lower(domain);
  std::string_view rest = lowered;
  if (rest.starts_with("*.")) {
    rest.remove_prefix(2);
  }
  if (rest.size() > 253) {
    return bad_domain("it is longer than 253 characters");
  }
  if (rest.find('.') == std::string_view::npos) {
    return bad_domain(
        "it has a single label; expected a fully qualified name such as "
        "www.example.com");
  }
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::optional<std::string> problem = label_problem(rest.substr(0, dot));
    if (problem) {
      return bad_domain(*problem);
    }
    if (dot == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(dot + 1);
  }
  return lowered;
}

Result<HostPort> parse_host_port(std::string_view text, int default_port) {
  if (!text.starts_with('[') && std::count(text.begin(), text.end(), ':') > 1) {
    return fail(ErrorCode::InvalidArgument,
                "an IPv6 address needs brackets, e.g. \"[2001:db8::1]:443\"");
  }
  const Result<Url> url = parse_url("tcp://" + std::string(text));
  if (!url) {
    return fail(url.error());
  }
  if (!url->path.empty()) {
    return fail(ErrorCode::InvalidArgument, "it has a path");
  }
  in_addr v4{};
  in6_addr v6{};
  const bool literal = ::inet_pton(AF_INET, url->host.c_str(), &v4) == 1 ||
                       ::inet_pton(AF_INET6, url->host.c_str(), &v6) == 1;
  if (!literal && url->host != "localhost") {
    if (url->host.starts_with("*.")) {
      return fail(ErrorCode::InvalidArgument, "its host is a wildcard");
    }
    if (Result<std::string> name = normalize_domain(url->host); !name) {
      return fail(ErrorCode::InvalidArgument,
                  "its host is neither an IP address nor a host name: " + name.error().message());
    }
  }
  HostPort address;
  address.host = url->host;
  address.port = url->port.empty() ? default_port : std::stoi(url->port);
  return address;
}

}  // namespace apig_certd::settings
