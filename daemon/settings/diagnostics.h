#pragma once

// Diagnostics: the problems found while loading one config file.
//
// Internal to settings/. The loader reports every problem it finds instead of stopping at the
// first, so an operator fixes a config in one round; this collects them with their positions
// and renders them sorted by position, "FILE:LINE:COLUMN: text", one per line.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "daemon/settings/settings.h"

namespace apig_certd::settings {

class Diagnostics {
 public:
  // At most this many errors are rendered; the rest are counted.
  static constexpr std::size_t kMaxShown = 20;

  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  // A location in this file. Line and column count from 1.
  [[nodiscard]] SourceLocation at(int line, int column) const { return {file_, line, column}; }
  // The whole file, for problems that belong to no particular line (reported at 1:1).
  [[nodiscard]] SourceLocation whole_file() const { return at(1, 1); }

  void error(const SourceLocation& location, std::string text);
  void warning(const SourceLocation& location, std::string text);

  [[nodiscard]] bool has_errors() const { return !errors_.empty(); }
  // The errors, sorted by position, one per line, without a trailing newline.
  [[nodiscard]] std::string error_text() const;
  // The warnings, sorted by position, each "FILE:LINE:COLUMN: text".
  [[nodiscard]] std::vector<std::string> warning_lines() const;

 private:
  struct Problem {
    SourceLocation location;
    std::string text;
  };
  static std::vector<std::string> render(std::vector<Problem> problems);

  std::string file_;
  std::vector<Problem> errors_;
  std::vector<Problem> warnings_;
};

}  // namespace apig_certd::settings
