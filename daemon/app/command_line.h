#pragma once

// The command line of DESIGN.md §2 as a value. Parsing is pure (arguments and environment
// in, CommandLine or a usage error out), so every flag combination is unit-tested.

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/duration.h"
#include "daemon/core/environment.h"
#include "daemon/core/result.h"

namespace apig_certd::app {

enum class Command { Run, Sync, Hook, Check, Status, Version, Help };

inline constexpr std::string_view kDefaultConfigPath = "/etc/apig-certd/config.toml";

struct CommandLine {
  Command command = Command::Help;
  std::filesystem::path config;  // --config, else $APIG_CERTD_CONFIG, else the default.
  Duration lock_timeout = std::chrono::seconds(60);
  // sync
  std::vector<std::string> bindings;
  bool dry_run = false;
  bool force = false;
  bool no_wait = false;
  // check
  bool online = false;
  // status
  bool json = false;
  // hook: the client name (may be empty: detect) and its positional arguments.
  std::string hook_client;
  std::vector<std::string> hook_arguments;
};

// Parses argv[1..]. Errors are InvalidArgument with a one-line message naming the problem;
// the caller prints it with the usage and exits 2.
Result<CommandLine> parse_command_line(std::span<const std::string_view> arguments,
                                       const Environment& environment);

// The --help text.
std::string usage_text();

}  // namespace apig_certd::app
