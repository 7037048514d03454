#include "daemon/app/command_line.h"

#include <gtest/gtest.h>

namespace apig_certd::app::command_line_test {
namespace {

Result<CommandLine> parse(std::initializer_list<std::string_view> arguments,
                          const Environment& environment = {}) {
  const std::vector<std::string_view> list(arguments);
  return parse_command_line(list, environment);
}

TEST(CommandLine, DefaultsConfigPath) {
  const Result<CommandLine> line = parse({"check"});
  ASSERT_TRUE(line) << line.error().to_string();
  EXPECT_EQ(line->command, Command::Check);
  EXPECT_EQ(line->config, kDefaultConfigPath);
  EXPECT_EQ(line->lock_timeout, std::chrono::seconds(60));
}

TEST(CommandLine, ConfigFromEnvironmentUnlessGiven) {
  Environment environment;
  environment.set("APIG_CERTD_CONFIG", "/srv/env.toml");
  EXPECT_EQ(parse({"check"}, environment)->config, "/srv/env.toml");
  EXPECT_EQ(parse({"--config", "/x.toml", "check"}, environment)->config, "/x.toml");
  EXPECT_EQ(parse({"check", "--config=/y.toml"}, environment)->config, "/y.toml");
}

TEST(CommandLine, SyncFlags) {
  const Result<CommandLine> line = parse({"sync", "--binding", "a", "--binding=b", "--dry-run",
                                          "--force", "--no-wait", "--lock-timeout", "5s"});
  ASSERT_TRUE(line) << line.error().to_string();
  EXPECT_EQ(line->command, Command::Sync);
  EXPECT_EQ(line->bindings, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(line->dry_run);
  EXPECT_TRUE(line->force);
  EXPECT_TRUE(line->no_wait);
  EXPECT_EQ(line->lock_timeout, std::chrono::seconds(5));
}

TEST(CommandLine, CheckOnlineAndStatusJson) {
  EXPECT_TRUE(parse({"check", "--online"})->online);
  EXPECT_TRUE(parse({"status", "--json"})->json);
  EXPECT_EQ(parse({"version"})->command, Command::Version);
  EXPECT_EQ(parse({"run"})->command, Command::Run);
}

TEST(CommandLine, HookTakesClientAndPassesArgumentsThrough) {
  const Result<CommandLine> line =
      parse({"hook", "dehydrated", "deploy_cert", "example.com", "/k", "/c", "/f", "/ch", "1"});
  ASSERT_TRUE(line) << line.error().to_string();
  EXPECT_EQ(line->hook_client, "dehydrated");
  ASSERT_EQ(line->hook_arguments.size(), 7U);
  EXPECT_EQ(line->hook_arguments.front(), "deploy_cert");

  const Result<CommandLine> detect = parse({"hook"});
  ASSERT_TRUE(detect);
  EXPECT_TRUE(detect->hook_client.empty());
}

TEST(CommandLine, HelpWins) {
  EXPECT_EQ(parse({"sync", "--help"})->command, Command::Help);
  EXPECT_EQ(parse({"-h"})->command, Command::Help);
}

struct BadCase {
  std::vector<std::string_view> arguments;
  const char* message;
};

class CommandLineRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(CommandLineRejects, WithMessage) {
  const Result<CommandLine> line = parse_command_line(GetParam().arguments, Environment{});
  ASSERT_FALSE(line);
  EXPECT_EQ(line.error().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(line.error().message().find(GetParam().message), std::string::npos)
      << line.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Usage, CommandLineRejects,
    ::testing::Values(BadCase{{}, "no command given"},
                      BadCase{{"frobnicate"}, "unknown command 'frobnicate'"},
                      BadCase{{"sync", "--bogus"}, "unknown option '--bogus'"},
                      BadCase{{"check", "--dry-run"}, "'--dry-run' does not apply to 'check'"},
                      BadCase{{"sync", "--online"}, "'--online' does not apply to 'sync'"},
                      BadCase{{"check", "--lock-timeout", "5s"}, "does not apply to 'check'"},
                      BadCase{{"sync", "--lock-timeout", "soon"}, "invalid duration 'soon'"},
                      BadCase{{"sync", "--binding"}, "'--binding' needs a value"},
                      BadCase{{"sync", "--binding="}, "'--binding' needs a value"},
                      BadCase{{"check", "--config"}, "'--config' needs a value"},
                      BadCase{{"sync", "--force=yes"}, "takes no value"},
                      BadCase{{"check", "extra"}, "unexpected argument 'extra'"}));

}  // namespace
}  // namespace apig_certd::app::command_line_test
