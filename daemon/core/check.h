#pragma once

// APIG_CERTD_CHECK(cond, why): a programmer-error check that holds in every build type
// (Envoy's RELEASE_ASSERT). Never use it for what the environment controls: that is a Result.

#include <cstdio>
#include <cstdlib>

// NOLINTNEXTLINE(cppcoreguidelines-macro-usage): needs __FILE__/__LINE__ and the condition text.
#define APIG_CERTD_CHECK(cond, why)                                                              \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "apig-certd: internal error at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   why, #cond);                                                                  \
      std::abort();                                                                              \
    }                                                                                            \
  } while (false)
