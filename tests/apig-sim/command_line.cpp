// Command-line parsing for apig-sim.
//
// The listen address must be IPv4 loopback: the simulator has an unauthenticated admin API
// and accepts test credentials, so it must never be reachable from another machine, and a
// typo such as "0.0.0.0:8443" is refused instead of silently exposing it.

#include "tests/apig-sim/command_line.h"

#include <charconv>

#include <arpa/inet.h>

namespace apig_certd::sim {

namespace {

Result<void> parse_listen(std::string_view text, CommandLine& command_line) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "--listen: expected HOST:PORT, e.g. 127.0.0.1:0");
  }
  const std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  in_addr address{};
  if (::inet_pton(AF_INET, host.c_str(), &address) != 1 || !host.starts_with("127.")) {
    return fail(ErrorCode::InvalidArgument,
                "--listen: '" + host + "' is not an IPv4 loopback address (127.0.0.0/8)");
  }
  int port = -1;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc() || end != port_text.data() + port_text.size() || port < 0 ||
      port > 65535) {
    return fail(ErrorCode::InvalidArgument, "--listen: the port must be 0..65535");
  }
  command_line.host = host;
  command_line.port = port;
  return {};
}

Result<int> parse_port(std::string_view option, std::string_view text) {
  int port = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || port < 0 || port > 65535) {
    return fail(ErrorCode::InvalidArgument, std::string(option) + ": the port must be 0..65535");
  }
  return port;
}

Result<void> apply_option(std::string_view option, std::string_view value,
                          CommandLine& command_line) {
  if (option == "--seed") {
    command_line.seed = value;
  } else if (option == "--listen") {
    return parse_listen(value, command_line);
  } else if (option == "--tls-cert") {
    command_line.tls_certificate = value;
  } else if (option == "--tls-key") {
    command_line.tls_key = value;
  } else if (option == "--port-file") {
    command_line.port_file = value;
  } else if (option == "--tls-port") {
    Result<int> port = parse_port(option, value);
    if (!port) {
      return fail(std::move(port.error()));
    }
    command_line.tls_port = *port;
  } else if (option == "--keep-alive-requests") {
    int count = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc() || end != value.data() + value.size() || count < 1 ||
        count > 100'000) {
      return fail(ErrorCode::InvalidArgument, "--keep-alive-requests: must be 1..100000");
    }
    command_line.keep_alive_requests = count;
  } else {
    return fail(ErrorCode::InvalidArgument, "unknown option '" + std::string(option) + "'");
  }
  return {};
}

}  // namespace

Result<CommandLine> parse_command_line(std::span<const char* const> arguments) {
  CommandLine command_line;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string_view option = arguments[i];
    if (option == "--help" || option == "-h") {
      command_line.help = true;
      return command_line;
    }
    if (i + 1 >= arguments.size()) {
      return fail(ErrorCode::InvalidArgument, std::string(option) + ": missing value");
    }
    if (auto applied = apply_option(option, arguments[++i], command_line); !applied) {
      return fail(std::move(applied.error()));
    }
  }
  if (command_line.seed.empty()) {
    return fail(ErrorCode::InvalidArgument, "--seed FILE.json is required");
  }
  if (command_line.tls_certificate.has_value() != command_line.tls_key.has_value()) {
    return fail(ErrorCode::InvalidArgument, "--tls-cert and --tls-key go together");
  }
  return command_line;
}

const char* usage() {
  return "usage: apig-sim --seed FILE.json [--listen 127.0.0.1:0] [--tls-cert PEM --tls-key PEM]\n"
         "                [--port-file PATH] [--tls-port PORT] [--keep-alive-requests N]\n"
         "A Huawei Cloud APIG simulator for tests; see tests/apig-sim/README.md.\n";
}

}  // namespace apig_certd::sim
