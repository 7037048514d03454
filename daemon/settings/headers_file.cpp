#include "daemon/settings/headers_file.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "daemon/core/ascii.h"
#include "daemon/core/trim.h"
#include "daemon/settings/settings.h"

namespace apig_certd::settings {

namespace {

// The headers apig-certd sets on every notification itself.
constexpr std::array<std::string_view, 4> kReservedHeaders{"Content-Type", "Content-Length",
                                                           "Transfer-Encoding", "Host"};

bool is_token_character(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_control(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

}  // namespace

ParsedHeaders parse_headers(std::string_view text) {
  ParsedHeaders parsed;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    const std::string_view content = trim_blanks(line);
    if (content.empty() || content.starts_with('#')) {
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      parsed.problems.push_back(
          {number, "expected 'Name: value' (a header name, a colon, the value)"});
      continue;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_token_character)) {
      parsed.problems.push_back(
          {number,
           "the header name before ':' must be letters, digits or !#$%&'*+-.^_`|~ "
           "without spaces"});
      continue;
    }
    const auto* const reserved =
        std::find_if(kReservedHeaders.begin(), kReservedHeaders.end(),
                     [&](std::string_view header) { return equals_ignoring_case(name, header); });
    if (reserved != kReservedHeaders.end()) {
      parsed.problems.push_back(
          {number, "header " + std::string(*reserved) + " is set by apig-certd; remove it"});
      continue;
    }
    if (value.empty()) {
      parsed.problems.push_back({number, "header " + std::string(name) + " has no value"});
      continue;
    }
    if (std::any_of(value.begin(), value.end(), is_control)) {
      parsed.problems.push_back(
          {number, "the value of header " + std::string(name) + " has a control character"});
      continue;
    }
    parsed.headers.push_back({std::string(name), Secret(std::string(value))});
  }
  return parsed;
}

Result<ParsedHeaders> parse_headers_file(const std::filesystem::path& path,
                                         const Environment& environment) {
  SecretSource source;
  source.kind = SecretSource::Kind::File;
  source.path = path;
  source.description = "headers_file '" + path.string() + "'";
  Result<Secret> content = read_secret(source, environment);
  if (!content) {
    return fail(std::move(content.error()));
  }
  return parse_headers(content->view());
}

Result<std::vector<HeaderLine>> read_headers_file(const std::filesystem::path& path,
                                                  const Environment& environment) {
  Result<ParsedHeaders> parsed = parse_headers_file(path, environment);
  if (!parsed) {
    return fail(std::move(parsed.error()));
  }
  if (!parsed->problems.empty()) {
    const HeaderProblem& first = parsed->problems.front();
    return fail(ErrorCode::InvalidArgument, "headers_file '" + path.string() + "':" +
                                                std::to_string(first.line) + ": " + first.message);
  }
  return std::move(parsed->headers);
}

}  // namespace apig_certd::settings
