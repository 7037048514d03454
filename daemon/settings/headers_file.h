#pragma once

// A [[notify]] `headers_file`: extra HTTP headers for one webhook, typically
// `Authorization: Bearer ...`. The file is a secret (its permissions are checked like any
// other secret file) and its values are never logged, quoted in a message, or put into a
// notification.
//
// Format, one header per line, as curl's -H takes them:
//
//   # comment lines and blank lines are ignored
//   Authorization: Bearer 0123456789abcdef
//   X-Team: platform
//
// The name is an HTTP token (RFC 9110: letters, digits and !#$%&'*+-.^_`|~); the value is
// everything after the first ':' with the surrounding spaces and tabs removed, non-empty and
// without control characters. Content-Type, Content-Length, Transfer-Encoding and Host are
// apig-certd's to set and refused here.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/environment.h"
#include "daemon/core/result.h"
#include "daemon/core/secret.h"

namespace apig_certd::settings {

struct HeaderLine {
  std::string name;
  Secret value;
};

// What is wrong with one line (1-based); the message never quotes the value.
struct HeaderProblem {
  int line = 0;
  std::string message;
};

struct ParsedHeaders {
  std::vector<HeaderLine> headers;
  std::vector<HeaderProblem> problems;  // empty when the whole file is valid
};

// Parses the text of a headers file. Pure.
ParsedHeaders parse_headers(std::string_view text);

// Reads and parses a headers file, re-checking its permissions as read_secret() does. Errors
// are read_secret()'s, naming the file as "headers_file 'PATH'"; invalid lines are problems.
Result<ParsedHeaders> parse_headers_file(const std::filesystem::path& path,
                                         const Environment& environment);

// As parse_headers_file(), and an invalid line is InvalidArgument
// "headers_file 'PATH':LINE: what is wrong".
Result<std::vector<HeaderLine>> read_headers_file(const std::filesystem::path& path,
                                                  const Environment& environment);

}  // namespace apig_certd::settings
