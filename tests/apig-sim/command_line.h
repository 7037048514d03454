#pragma once

// apig-sim's command line:
//   apig-sim --seed FILE.json [--listen 127.0.0.1:0] [--tls-cert PEM --tls-key PEM]
//            [--port-file PATH] [--tls-port PORT] [--keep-alive-requests N]

#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "daemon/core/result.h"

namespace apig_certd::sim {

struct CommandLine {
  std::filesystem::path seed;
  std::string host = "127.0.0.1";
  int port = 0;
  std::optional<std::filesystem::path> tls_certificate;
  std::optional<std::filesystem::path> tls_key;
  std::optional<std::filesystem::path> port_file;
  // Also serve bound certificates by SNI on this port (0: any free port); tls_listener.h.
  std::optional<int> tls_port;
  // Requests served on one keep-alive connection before the server closes it (nginx's
  // keepalive_requests). Tests lower it to make clients reconnect often.
  int keep_alive_requests = 100;
  bool help = false;
};

// Parses the arguments after the program name. InvalidArgument for an unknown option, a
// missing value, a missing --seed, only one of --tls-cert/--tls-key, a --listen address
// that is not an IPv4 loopback address (127.0.0.0/8) with a port 0..65535, or a --tls-port
// that is not 0..65535, or a --keep-alive-requests that is not 1..100000.
Result<CommandLine> parse_command_line(std::span<const char* const> arguments);

// The usage text.
const char* usage();

}  // namespace apig_certd::sim
