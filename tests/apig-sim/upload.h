#pragma once

// The body of an upload (POST of a bind on a domain, PUT of a certificate): the JSON object
// {"cert_content", "name", "private_key"}, read and checked before certificate_check.h looks
// at the PEM. Pure (bytes in, Upload or ApigError out), so it is fuzzed on its own.

#include <optional>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "tests/apig-sim/http_types.h"

namespace apig_certd::sim {

struct Upload {
  std::string cert_content;
  std::string name;
  std::string private_key;
  // The certificate APIs' optional fields (create and PUT; the one-step bind ignores them).
  // Absent: nullopt, which the PUT reads as the create defaults.
  std::optional<std::string> type;
  std::optional<std::string> instance_id;
  std::optional<std::string> algorithm_type;
  std::optional<std::string> trusted_root_ca;
};

// Checks, in APIG's order: the body is a JSON object (400 APIG.2011); each of cert_content,
// name and private_key is present, not null and not "" (APIG.2001) and a string (APIG.2012);
// the name follows is_valid_certificate_name() (APIG.2012); type, instance_id, algorithm_type
// and trusted_root_ca are strings when present (APIG.2012). Other fields are ignored.
tl::expected<Upload, ApigError> read_upload(std::string_view body);

}  // namespace apig_certd::sim
