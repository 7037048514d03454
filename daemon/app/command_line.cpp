// Command-line parsing.
//
// Hand-written rather than getopt: getopt keeps global state (optind), and the rules here are
// small: one subcommand, `--flag` and `--flag VALUE` / `--flag=VALUE` options, each allowed
// only with the commands it means something for. `hook` passes the rest of its arguments on
// untouched, because dehydrated calls hooks as `hook deploy_cert DOMAIN KEY CERT ...`.

#include "daemon/app/command_line.h"

#include <algorithm>
#include <array>
#include <utility>

namespace apig_certd::app {

namespace {

struct CommandName {
  std::string_view name;
  Command command;
};

constexpr std::array<CommandName, 7> kCommands{{
    {"run", Command::Run},
    {"sync", Command::Sync},
    {"hook", Command::Hook},
    {"check", Command::Check},
    {"status", Command::Status},
    {"version", Command::Version},
    {"help", Command::Help},
}};

constexpr std::array<std::string_view, 4> kHookClients{"certbot", "lego", "acme.sh", "dehydrated"};

Result<CommandLine> usage_error(std::string message) {
  return fail(ErrorCode::InvalidArgument, std::move(message));
}

bool takes_lock(Command command) {
  return command == Command::Run || command == Command::Sync || command == Command::Hook;
}

// Splits "--name=value" into name and value; value is nullopt without '='.
std::pair<std::string_view, std::optional<std::string_view>> split_option(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    return {text, std::nullopt};
  }
  return {text.substr(0, equals), text.substr(equals + 1)};
}

class Parser {
 public:
  Parser(std::span<const std::string_view> arguments, CommandLine& line)
      : arguments_(arguments), line_(line) {}

  Result<CommandLine> parse() {
    std::optional<std::string_view> command_name;
    while (index_ < arguments_.size()) {
      const std::string_view argument = arguments_[index_++];
      if (command_name && line_.command == Command::Hook && !argument.starts_with("--")) {
        if (line_.hook_client.empty() && line_.hook_arguments.empty() && is_hook_client(argument)) {
          line_.hook_client = argument;
        } else {
          line_.hook_arguments.emplace_back(argument);
        }
        continue;
      }
      if (argument == "-h" || argument == "--help") {
        line_.command = Command::Help;
        return std::move(line_);
      }
      if (argument.starts_with("-")) {
        auto applied = apply_option(argument);
        if (!applied) {
          return fail(std::move(applied.error()));
        }
        continue;
      }
      if (command_name) {
        return usage_error("unexpected argument '" + std::string(argument) + "' for '" +
                           std::string(*command_name) + "'");
      }
      const auto* found = std::find_if(kCommands.begin(), kCommands.end(),
                                       [&](const CommandName& c) { return c.name == argument; });
      if (found == kCommands.end()) {
        return usage_error("unknown command '" + std::string(argument) +
                           "' (commands: run, sync, hook, check, status, version)");
      }
      command_name = found->name;
      line_.command = found->command;
    }
    if (!command_name) {
      return usage_error("no command given");
    }
    return validate(*command_name);
  }

 private:
  static bool is_hook_client(std::string_view name) {
    return std::find(kHookClients.begin(), kHookClients.end(), name) != kHookClients.end();
  }

  Result<std::string_view> value_of(std::string_view name,
                                    std::optional<std::string_view> inline_value) {
    if (inline_value) {
      if (inline_value->empty()) {
        return fail(ErrorCode::InvalidArgument, "option '" + std::string(name) + "' needs a value");
      }
      return *inline_value;
    }
    if (index_ >= arguments_.size() || arguments_[index_].starts_with("--")) {
      return fail(ErrorCode::InvalidArgument, "option '" + std::string(name) + "' needs a value");
    }
    return arguments_[index_++];
  }

  Result<void> apply_option(std::string_view argument) {
    const auto [name, inline_value] = split_option(argument);
    // Init-captures: clang 14 (clang-tidy) cannot capture structured bindings.
    const auto flag = [this, option = name,
                       has_value = inline_value.has_value()](bool& target) -> Result<void> {
      if (has_value) {
        return fail(ErrorCode::InvalidArgument,
                    "option '" + std::string(option) + "' takes no value");
      }
      target = true;
      seen_.emplace_back(option);
      return {};
    };
    if (name == "--config") {
      auto value = value_of(name, inline_value);
      if (!value) {
        return fail(std::move(value.error()));
      }
      line_.config = std::string(*value);
      return {};
    }
    if (name == "--lock-timeout") {
      auto value = value_of(name, inline_value);
      if (!value) {
        return fail(std::move(value.error()));
      }
      auto duration = parse_duration(*value);
      if (!duration) {
        return fail(ErrorCode::InvalidArgument,
                    "option '--lock-timeout': " + duration.error().message());
      }
      line_.lock_timeout = *duration;
      seen_.emplace_back(name);
      return {};
    }
    if (name == "--binding") {
      auto value = value_of(name, inline_value);
      if (!value) {
        return fail(std::move(value.error()));
      }
      line_.bindings.emplace_back(*value);
      seen_.emplace_back(name);
      return {};
    }
    if (name == "--dry-run") {
      return flag(line_.dry_run);
    }
    if (name == "--force") {
      return flag(line_.force);
    }
    if (name == "--no-wait") {
      return flag(line_.no_wait);
    }
    if (name == "--online") {
      return flag(line_.online);
    }
    if (name == "--json") {
      return flag(line_.json);
    }
    return fail(ErrorCode::InvalidArgument, "unknown option '" + std::string(name) + "'");
  }

  // Each option is only meaningful for some commands; anything else is a usage error rather
  // than silently ignored (a `check --dry-run` typo should not pass unnoticed).
  Result<CommandLine> validate(std::string_view command_name) {
    for (const std::string& option : seen_) {
      bool allowed = false;
      if (option == "--lock-timeout") {
        allowed = takes_lock(line_.command);
      } else if (option == "--binding" || option == "--dry-run" || option == "--force" ||
                 option == "--no-wait") {
        allowed = line_.command == Command::Sync;
      } else if (option == "--online") {
        allowed = line_.command == Command::Check;
      } else if (option == "--json") {
        allowed = line_.command == Command::Status;
      }
      if (!allowed) {
        return usage_error("option '" + option + "' does not apply to '" +
                           std::string(command_name) + "'");
      }
    }
    return std::move(line_);
  }

  std::span<const std::string_view> arguments_;
  CommandLine& line_;
  std::size_t index_ = 0;
  std::vector<std::string> seen_;
};

}  // namespace

Result<CommandLine> parse_command_line(std::span<const std::string_view> arguments,
                                       const Environment& environment) {
  CommandLine line;
  Parser parser(arguments, line);
  Result<CommandLine> parsed = parser.parse();
  if (!parsed) {
    return parsed;
  }
  if (parsed->config.empty()) {
    const std::optional<std::string> from_environment = environment.get("APIG_CERTD_CONFIG");
    parsed->config = from_environment && !from_environment->empty()
                         ? std::filesystem::path(*from_environment)
                         : std::filesystem::path(kDefaultConfigPath);
  }
  return parsed;
}

std::string usage_text() {
  return R"(Usage: apig-certd [--config PATH] COMMAND [OPTIONS]

Keeps the TLS certificates of Huawei Cloud API Gateway custom domains fresh.

Commands:
  run                      the daemon: watch certificates and keep every target bound
  sync [--binding NAME]... [--dry-run] [--force] [--no-wait]
                           one pass over all (or the named) bindings, then exit
  hook [certbot|lego|acme.sh|dehydrated] [ARGS...]
                           deploy-hook entry point for ACME clients
  check [--online]         validate the config and every binding's files
  status [--json]          what the state file says about every target
  version                  versions of apig-certd and its libraries

Options:
  --config PATH            config file (default $APIG_CERTD_CONFIG, else /etc/apig-certd/config.toml)
  --lock-timeout DURATION  run/sync/hook: wait this long for the state lock (default 60s)
  -h, --help               this text

Exit codes: 0 in sync/valid, 1 a target failed, 2 bad command line, 75 state lock busy,
78 invalid config.
)";
}

}  // namespace apig_certd::app
