#pragma once

// Where a command prints: stdout for its results (one line per target), stderr for
// warnings, notices and summaries. Passed in so tests can capture both.

#include <cstdio>
#include <string>

namespace apig_certd::app {

struct Output {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
};

// Writes `line` and a newline.
inline void print_line(std::FILE* stream, const std::string& line) {
  std::fputs(line.c_str(), stream);
  std::fputc('\n', stream);
}

}  // namespace apig_certd::app
