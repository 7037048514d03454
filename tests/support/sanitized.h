#pragma once

// Whether this test binary is built with AddressSanitizer or ThreadSanitizer: tests whose
// measurements or LD_PRELOAD tricks a sanitizer runtime would spoil skip themselves then.

namespace apig_certd::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

}  // namespace apig_certd::testing
