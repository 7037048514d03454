#include "daemon/app/hook_request.h"

#include <algorithm>
#include <array>
#include <system_error>

namespace apig_certd::app {

namespace {

namespace fs = std::filesystem;

Result<HookRequest> missing(HookClient client, std::string_view what) {
  return fail(ErrorCode::InvalidArgument,
              "apig-certd hook " + std::string(to_string(client)) + ": " + std::string(what));
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(separator, start), text.size());
    std::string part(text.substr(start, end - start));
    // Trim the blanks around each item ("a.example, b.example").
    part.erase(0, part.find_first_not_of(" \t"));
    part.erase(part.find_last_not_of(" \t") + 1);
    if (!part.empty()) {
      parts.push_back(std::move(part));
    }
    start = end + 1;
  }
  return parts;
}

// Adds the variables' values that are set and not empty.
void add_paths(HookRequest& request, const Environment& environment,
               std::initializer_list<std::string_view> names) {
  for (const std::string_view name : names) {
    if (std::optional<std::string> value = environment.get(name); value && !value->empty()) {
      request.paths.emplace_back(*value);
    }
  }
}

bool is_set(const Environment& environment, std::string_view name) {
  const std::optional<std::string> value = environment.get(name);
  return value && !value->empty();
}

Result<HookRequest> certbot(const Environment& environment) {
  HookRequest request;
  request.client = HookClient::Certbot;
  add_paths(request, environment, {"RENEWED_LINEAGE"});
  if (request.paths.empty()) {
    return missing(HookClient::Certbot,
                   "RENEWED_LINEAGE is not set (run it as certbot's --deploy-hook or from "
                   "/etc/letsencrypt/renewal-hooks/deploy/)");
  }
  request.domains = split(environment.get("RENEWED_DOMAINS").value_or(""), ' ');
  return request;
}

Result<HookRequest> lego(const Environment& environment) {
  HookRequest request;
  request.client = HookClient::Lego;
  if (is_set(environment, "LEGO_HOOK_CERT_PATH")) {  // lego v5 --deploy-hook
    add_paths(request, environment, {"LEGO_HOOK_CERT_PATH", "LEGO_HOOK_CERT_KEY_PATH"});
    request.domains = split(environment.get("LEGO_HOOK_CERT_DOMAINS").value_or(""), ',');
    if (request.domains.empty()) {
      request.domains = split(environment.get("LEGO_HOOK_CERT_NAME").value_or(""), ',');
    }
  } else {  // lego v4 --run-hook / --renew-hook
    add_paths(request, environment, {"LEGO_CERT_PATH", "LEGO_CERT_KEY_PATH"});
    request.domains = split(environment.get("LEGO_CERT_DOMAIN").value_or(""), ',');
  }
  if (request.paths.empty()) {
    return missing(HookClient::Lego,
                   "neither LEGO_CERT_PATH (lego v4 --renew-hook) nor LEGO_HOOK_CERT_PATH (lego "
                   "v5 --deploy-hook) is set");
  }
  return request;
}

Result<HookRequest> acme_sh(const Environment& environment) {
  HookRequest request;
  request.client = HookClient::AcmeSh;
  add_paths(request, environment,
            {"CERT_PATH", "CERT_KEY_PATH", "CERT_FULLCHAIN_PATH", "CA_CERT_PATH"});
  if (request.paths.empty()) {
    return missing(HookClient::AcmeSh,
                   "CERT_PATH and CERT_KEY_PATH are not set (use it as acme.sh --reloadcmd)");
  }
  request.domains = split(environment.get("Le_Domain").value_or(""), ',');
  return request;
}

Result<HookRequest> dehydrated(const std::vector<std::string>& arguments) {
  HookRequest request;
  request.client = HookClient::Dehydrated;
  if (arguments.empty()) {
    return missing(HookClient::Dehydrated,
                   "no handler argument (dehydrated calls its hook as HANDLER ARGS..., e.g. "
                   "deploy_cert DOMAIN KEYFILE CERTFILE FULLCHAINFILE CHAINFILE TIMESTAMP)");
  }
  if (arguments.front() != "deploy_cert") {
    request.nothing_to_do = true;  // startup_hook, deploy_challenge, ...: not ours
    return request;
  }
  if (arguments.size() < 5) {
    return missing(HookClient::Dehydrated,
                   "deploy_cert needs DOMAIN KEYFILE CERTFILE FULLCHAINFILE [CHAINFILE "
                   "TIMESTAMP]; got " +
                       std::to_string(arguments.size() - 1) + " argument(s)");
  }
  request.domains.push_back(arguments[1]);
  for (std::size_t i = 2; i < std::min<std::size_t>(arguments.size(), 6); ++i) {
    if (!arguments[i].empty()) {
      request.paths.emplace_back(arguments[i]);
    }
  }
  return request;
}

std::optional<HookClient> detect(const std::vector<std::string>& arguments,
                                 const Environment& environment) {
  if (is_set(environment, "RENEWED_LINEAGE")) {
    return HookClient::Certbot;
  }
  if (is_set(environment, "LEGO_HOOK_CERT_PATH") || is_set(environment, "LEGO_CERT_PATH")) {
    return HookClient::Lego;
  }
  if (is_set(environment, "CERT_PATH") || is_set(environment, "CERT_KEY_PATH") ||
      is_set(environment, "Le_Domain")) {
    return HookClient::AcmeSh;
  }
  constexpr std::array<std::string_view, 12> kDehydratedHandlers{
      "deploy_cert",  "deploy_challenge", "clean_challenge",   "sync_cert",
      "deploy_ocsp",  "unchanged_cert",   "invalid_challenge", "request_failure",
      "generate_csr", "startup_hook",     "exit_hook",         "this_hookscript_is_broken"};
  if (!arguments.empty() && std::find(kDehydratedHandlers.begin(), kDehydratedHandlers.end(),
                                      arguments.front()) != kDehydratedHandlers.end()) {
    return HookClient::Dehydrated;
  }
  return std::nullopt;
}

// The forms of a configured file to compare: with every link resolved, and with only its
// directory's links resolved (certbot's live/NAME/fullchain.pem is a link into archive/,
// but RENEWED_LINEAGE names live/NAME).
std::vector<fs::path> forms_of(const fs::path& file) {
  std::error_code error;
  std::vector<fs::path> forms;
  fs::path resolved = fs::weakly_canonical(file, error);
  forms.push_back(error ? file.lexically_normal() : resolved);
  fs::path directory = fs::weakly_canonical(file.parent_path(), error);
  forms.push_back((error ? file.parent_path().lexically_normal() : directory) / file.filename());
  return forms;
}

bool inside(const fs::path& path, const fs::path& directory) {
  const auto [end, rest] =
      std::mismatch(directory.begin(), directory.end(), path.begin(), path.end());
  return end == directory.end() && rest != path.end();
}

}  // namespace

std::string_view to_string(HookClient client) {
  switch (client) {
    case HookClient::Certbot:
      return "certbot";
    case HookClient::Lego:
      return "lego";
    case HookClient::AcmeSh:
      return "acme.sh";
    case HookClient::Dehydrated:
      return "dehydrated";
  }
  return "certbot";
}

Result<HookRequest> parse_hook_request(std::string_view client,
                                       const std::vector<std::string>& arguments,
                                       const Environment& environment) {
  std::optional<HookClient> chosen;
  if (client.empty()) {
    chosen = detect(arguments, environment);
    if (!chosen) {
      return fail(
          ErrorCode::InvalidArgument,
          "apig-certd hook: cannot tell which ACME client ran this hook (none of "
          "RENEWED_LINEAGE, LEGO_CERT_PATH, LEGO_HOOK_CERT_PATH, CERT_PATH is set and "
          "no dehydrated handler was given); name it: hook certbot|lego|acme.sh|dehydrated");
    }
  } else if (client == "certbot") {
    chosen = HookClient::Certbot;
  } else if (client == "lego") {
    chosen = HookClient::Lego;
  } else if (client == "acme.sh") {
    chosen = HookClient::AcmeSh;
  } else if (client == "dehydrated") {
    chosen = HookClient::Dehydrated;
  } else {
    return fail(ErrorCode::InvalidArgument, "apig-certd hook: unknown ACME client '" +
                                                std::string(client) +
                                                "' (certbot, lego, acme.sh, dehydrated)");
  }
  switch (*chosen) {
    case HookClient::Certbot:
      return certbot(environment);
    case HookClient::Lego:
      return lego(environment);
    case HookClient::AcmeSh:
      return acme_sh(environment);
    case HookClient::Dehydrated:
      return dehydrated(arguments);
  }
  return certbot(environment);
}

std::vector<std::string> bindings_for(const HookRequest& request,
                                      const std::vector<settings::BindingSettings>& bindings) {
  std::vector<fs::path> named;
  for (const fs::path& path : request.paths) {
    std::error_code error;
    const fs::path resolved = fs::weakly_canonical(path, error);
    named.push_back(error ? path.lexically_normal() : resolved);
  }
  std::vector<std::string> matched;
  for (const settings::BindingSettings& binding : bindings) {
    bool match = false;
    for (const fs::path file : {binding.cert, binding.key}) {
      for (const fs::path& form : forms_of(file)) {
        for (const fs::path& given : named) {
          match = match || form == given || inside(form, given);
        }
      }
    }
    if (match) {
      matched.push_back(binding.name);
    }
  }
  return matched;
}

}  // namespace apig_certd::app
