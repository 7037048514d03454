// Reading an upload's JSON body. nlohmann's non-throwing parse turns any malformed body into
// a discarded value, so what the client sends can only ever become an APIG error. The fields
// are read in a fixed order so that a body with several problems gets the code of the first,
// as APIG does.

#include "tests/apig-sim/upload.h"

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "tests/apig-sim/certificate_check.h"

namespace apig_certd::sim {

tl::expected<Upload, ApigError> read_upload(std::string_view body) {
  using nlohmann::json;
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return tl::unexpected(ApigError{400, "APIG.2011", "The request body is not a JSON object"});
  }
  std::array<std::string, 3> values;
  static constexpr std::array<std::string_view, 3> kFields = {"cert_content", "name",
                                                              "private_key"};
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    const auto found = parsed.find(kFields[i]);
    if (found == parsed.end() || found->is_null() ||
        (found->is_string() && found->get<std::string>().empty())) {
      return tl::unexpected(ApigError{
          400, "APIG.2001",
          "The request parameters must be specified, parameterName:" + std::string(kFields[i])});
    }
    if (!found->is_string()) {
      return tl::unexpected(ApigError{
          400, "APIG.2012", "Invalid parameter value, parameterName:" + std::string(kFields[i])});
    }
    values[i] = found->get<std::string>();
  }
  if (!is_valid_certificate_name(values[1])) {
    return tl::unexpected(ApigError{
        400, "APIG.2012",
        "Invalid parameter value, parameterName:name. Please refer to the support documentation"});
  }
  Upload upload{std::move(values[0]), std::move(values[1]), std::move(values[2]), {}, {}, {}, {}};
  for (auto [key, field] :
       {std::pair{"type", &upload.type}, std::pair{"instance_id", &upload.instance_id},
        std::pair{"algorithm_type", &upload.algorithm_type},
        std::pair{"trusted_root_ca", &upload.trusted_root_ca}}) {
    const auto found = parsed.find(key);
    if (found == parsed.end() || found->is_null()) {
      continue;
    }
    if (!found->is_string()) {
      return tl::unexpected(ApigError{
          400, "APIG.2012", "Invalid parameter value, parameterName:" + std::string(key)});
    }
    *field = found->get<std::string>();
  }
  return upload;
}

}  // namespace apig_certd::sim
