#include "daemon/app/load_config.h"

#include <string>

namespace apig_certd::app {

std::optional<settings::Settings> load_config_or_report(const CommandLine& line,
                                                        const Environment& environment,
                                                        const Output& output,
                                                        std::string_view consequence) {
  Result<settings::Settings> config = settings::load_settings(line.config, environment);
  if (!config) {
    print_line(output.err, config.error().to_string());
    print_line(output.err, "apig-certd: the configuration is invalid" + std::string(consequence));
    return std::nullopt;
  }
  return std::move(*config);
}

}  // namespace apig_certd::app
