#include "daemon/app/hook_command.h"

#include <string>

#include "daemon/app/exit_code.h"
#include "daemon/app/hook_request.h"
#include "daemon/app/load_config.h"
#include "daemon/app/sync_command.h"

namespace apig_certd::app {

namespace {

std::string quoted_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "'" : ", '") + item + "'";
  }
  return text;
}

std::string describe(const HookRequest& request) {
  std::vector<std::string> paths;
  for (const std::filesystem::path& path : request.paths) {
    paths.push_back(path.string());
  }
  std::string text = quoted_list(paths);
  if (!request.domains.empty()) {
    std::string domains;
    for (const std::string& domain : request.domains) {
      domains += (domains.empty() ? "" : " ") + domain;
    }
    text += " (" + domains + ")";
  }
  return text;
}

}  // namespace

int run_hook(const CommandLine& line, const Environment& environment, const Clock& clock,
             const Output& output) {
  Result<HookRequest> request =
      parse_hook_request(line.hook_client, line.hook_arguments, environment);
  if (!request) {
    print_line(output.err, request.error().message());
    return kExitUsage;
  }
  if (request->nothing_to_do) {
    return kExitOk;
  }
  const std::string who = "apig-certd hook (" + std::string(to_string(request->client)) + ")";
  std::optional<settings::Settings> config =
      load_config_or_report(line, environment, output, "; nothing was attempted");
  if (!config) {
    return kExitConfig;
  }
  const std::vector<std::string> matched = bindings_for(*request, config->bindings);
  if (matched.empty()) {
    print_line(output.err, who + ": no binding in '" + line.config.string() + "' uses " +
                               describe(*request) + "; nothing to do");
    return kExitOk;
  }
  print_line(output.err,
             who + ": " + describe(*request) + " -> binding(s) " + quoted_list(matched));
  // The command stays Hook: run_sync_with() then parses the files rather than trusting the
  // bundle cache, since a hook runs because they changed.
  CommandLine sync_line = line;
  sync_line.bindings = matched;
  return run_sync_with(*config, sync_line, environment, clock, output);
}

}  // namespace apig_certd::app
