#include "daemon/core/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace apig_certd::json_writer_test {
namespace {

TEST(JsonWriter, EscapesAndRoundTripsThroughAParser) {
  const std::string pem = "-----BEGIN X-----\nab\"c\\d\t\x01\r\n-----END X-----\n";
  const Secret body = write_json_object({{"name", "cert_1"}, {"cert_content", pem}});
  const nlohmann::json parsed = nlohmann::json::parse(body.view());
  EXPECT_EQ(parsed.at("name"), "cert_1");
  EXPECT_EQ(parsed.at("cert_content"), pem);
  EXPECT_NE(body.view().find("\\u0001"), std::string_view::npos);
}

TEST(JsonWriter, EmptyObject) {
  EXPECT_EQ(write_json_object({}).view(), "{}");
}

}  // namespace
}  // namespace apig_certd::json_writer_test
