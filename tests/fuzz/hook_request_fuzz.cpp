// Fuzz target: the deploy hook's request parser (daemon/app/hook_request.h).
//
// Input: lines. The first line is the client named on the command line ("" to detect it);
// each later line "$NAME=VALUE" sets an environment variable and any other line is an
// argument, so the corpus reads like the hook invocations it stands for.

#include <cstdint>
#include <string>
#include <vector>

#include "daemon/app/hook_request.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto lines = apig_certd::fuzz::split_all(apig_certd::fuzz::as_text(data, size), '\n');
  apig_certd::Environment environment;
  std::vector<std::string> arguments;
  for (std::size_t index = 1; index < lines.size(); ++index) {
    const std::string_view line = lines[index];
    if (!line.empty() && line.front() == '$') {
      const auto [name, value] = apig_certd::fuzz::split_once(line.substr(1), '=');
      environment.set(std::string(name), std::string(value));
    } else {
      arguments.emplace_back(line);
    }
  }
  (void)apig_certd::app::parse_hook_request(lines.front(), arguments, environment);
  return 0;
}
