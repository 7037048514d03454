#pragma once

// What an ACME client's deploy hook tells us (DESIGN.md §6), as a value: which client ran
// us, the certificate files or directory it just wrote, and the domains. Parsing is pure
// (environment and arguments in), so every client's convention is unit-tested and fuzzed.
//
//   certbot      RENEWED_LINEAGE (the live/NAME directory), RENEWED_DOMAINS (space-separated)
//   lego v4      LEGO_CERT_PATH, LEGO_CERT_KEY_PATH, LEGO_CERT_DOMAIN
//   lego v5      LEGO_HOOK_CERT_PATH, LEGO_HOOK_CERT_KEY_PATH, LEGO_HOOK_CERT_NAME,
//                LEGO_HOOK_CERT_DOMAINS (comma-separated)
//   acme.sh      CERT_PATH, CERT_KEY_PATH, CERT_FULLCHAIN_PATH, CA_CERT_PATH, Le_Domain
//   dehydrated   arguments: deploy_cert DOMAIN KEYFILE CERTFILE FULLCHAINFILE CHAINFILE TIMESTAMP
//                (any other handler: nothing to do)

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/environment.h"
#include "daemon/core/result.h"
#include "daemon/settings/settings.h"

namespace apig_certd::app {

enum class HookClient { Certbot, Lego, AcmeSh, Dehydrated };

std::string_view to_string(HookClient client);

struct HookRequest {
  HookClient client = HookClient::Certbot;
  std::vector<std::filesystem::path> paths;  // files, or certbot's lineage directory
  std::vector<std::string> domains;          // as the client names them (for messages)
  bool nothing_to_do = false;                // a dehydrated handler other than deploy_cert
};

// `client` is the name given on the command line ("" to detect it from the environment and
// arguments). Errors (InvalidArgument): an unknown client, a client that cannot be told,
// or the client's variables/arguments missing; the message names what was expected.
Result<HookRequest> parse_hook_request(std::string_view client,
                                       const std::vector<std::string>& arguments,
                                       const Environment& environment);

// The bindings whose certificate or key is one of the request's files or lives in its
// directory, comparing paths after resolving symlinks (certbot's live/ links point into
// archive/; a configured path may itself go through a link).
std::vector<std::string> bindings_for(const HookRequest& request,
                                      const std::vector<settings::BindingSettings>& bindings);

}  // namespace apig_certd::app
