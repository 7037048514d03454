// Diagnostics: collects a config file's problems and renders them in file order.
//
// Problems are found section by section (daemon, apig, auth, bindings, ...), which is not
// the order in which they appear in the file; sorting by line and column puts them back in
// the order an operator reads the file. The sort is stable, so two problems at one position
// keep the order in which they were found. Output is capped (kMaxShown) because a wrong file
// passed as --config can produce hundreds of problems, and the first twenty say enough.

#include "daemon/settings/diagnostics.h"

#include <algorithm>
#include <utility>

namespace apig_certd::settings {

void Diagnostics::error(const SourceLocation& location, std::string text) {
  errors_.push_back({location, std::move(text)});
}

void Diagnostics::warning(const SourceLocation& location, std::string text) {
  warnings_.push_back({location, std::move(text)});
}

std::vector<std::string> Diagnostics::render(std::vector<Problem> problems) {
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return std::pair(a.location.line, a.location.column) <
           std::pair(b.location.line, b.location.column);
  });
  std::vector<std::string> lines;
  lines.reserve(problems.size());
  for (const Problem& problem : problems) {
    lines.push_back(to_string(problem.location) + ": " + problem.text);
  }
  return lines;
}

std::string Diagnostics::error_text() const {
  const std::vector<std::string> lines = render(errors_);
  std::string text;
  const std::size_t shown = std::min(lines.size(), kMaxShown);
  for (std::size_t index = 0; index < shown; ++index) {
    if (index > 0) {
      text += '\n';
    }
    text += lines[index];
  }
  if (lines.size() > shown) {
    text += '\n' + file_ + ": " + std::to_string(lines.size() - shown) +
            " more problems not shown; fix the ones above first";
  }
  return text;
}

std::vector<std::string> Diagnostics::warning_lines() const {
  return render(warnings_);
}

}  // namespace apig_certd::settings
