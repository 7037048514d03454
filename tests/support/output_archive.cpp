#include "tests/support/output_archive.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace apig_certd::testing {

namespace {

// "$APIG_CERTD_TEST_OUTPUTS/Suite.Name.PID.<extension>", or empty when not archiving.
std::filesystem::path archive_file(std::string_view extension) {
  const char* directory = std::getenv("APIG_CERTD_TEST_OUTPUTS");
  if (directory == nullptr || *directory == '\0') {
    return {};
  }
  std::string name = "outside-a-test";
  if (const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
      test != nullptr) {
    name = std::string(test->test_suite_name()) + "." + test->name();
  }
  for (char& c : name) {
    if (c == '/') {
      c = '_';  // Parameterized tests: "Files/SettingsBadConfig.Loads/3".
    }
  }
  std::filesystem::create_directories(directory);
  return std::filesystem::path(directory) /
         (name + "." + std::to_string(::getpid()) + "." + std::string(extension));
}

void append(const std::filesystem::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) {
    ADD_FAILURE() << "cannot append to the test output archive " << file;
  }
}

}  // namespace

void archive_outputs(std::string_view text) {
  if (const std::filesystem::path file = archive_file("out"); !file.empty()) {
    append(file, text);
  }
}

void archive_canaries(const std::vector<std::string>& secrets) {
  const std::filesystem::path file = archive_file("canaries");
  if (file.empty()) {
    return;
  }
  std::string lines;
  for (const std::string& secret : secrets) {
    if (!secret.empty()) {
      lines += secret + "\n";
    }
  }
  append(file, lines);
}

}  // namespace apig_certd::testing
