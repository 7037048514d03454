#pragma once

// The suite-wide secret scan's collection side. Tests hand what apig-certd produced (its
// stdout and stderr, state files, metrics files) and the canary secrets they used (secret
// keys, tokens, passwords, private-key lines) to the archive directory named by
// $APIG_CERTD_TEST_OUTPUTS (CTest sets it). tests/secrets/scan_outputs.py, which CTest runs
// after every other test, fails when any canary of any test appears in any archived output.
// Without the variable (a test binary run by hand) both calls do nothing.

#include <string>
#include <string_view>
#include <vector>

namespace apig_certd::testing {

// Appends `text` to this test's outputs file.
void archive_outputs(std::string_view text);

// Adds `secrets` (each on its own line; empty ones are skipped) to this test's canaries.
void archive_canaries(const std::vector<std::string>& secrets);

}  // namespace apig_certd::testing
