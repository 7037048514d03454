#pragma once

// The first step of every command that reads the config: load it, or print why it is
// invalid ("FILE:LINE:COLUMN: what", one line per problem) and what that means for the
// command, so the caller can exit 78 (EX_CONFIG).

#include <optional>
#include <string_view>

#include "daemon/app/command_line.h"
#include "daemon/app/output.h"
#include "daemon/core/environment.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

// `consequence` completes "apig-certd: the configuration is invalid" (e.g. "; nothing was
// attempted"). Warnings are left in Settings::warnings for the caller to report.
std::optional<settings::Settings> load_config_or_report(const CommandLine& line,
                                                        const Environment& environment,
                                                        const Output& output,
                                                        std::string_view consequence);

}  // namespace apig_certd::app
