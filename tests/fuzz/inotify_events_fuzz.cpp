// Fuzz target: the inotify event decoder (daemon/watch/inotify_events.h).
//
// Input: a buffer as read(2) returns it from an inotify descriptor. The decoder promises to
// take any bytes, at any alignment, without reading outside them; ASan holds it to that. The
// checks below pin the rest of its contract: names never contain a NUL, and every event's
// mask can be described.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "daemon/watch/inotify_events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the bytes as std::byte.
  const std::span<const std::byte> buffer(reinterpret_cast<const std::byte*>(data), size);
  const auto events = apig_certd::watch::decode_inotify_events(buffer);
  for (const auto& event : events) {
    if (event.name.find('\0') != std::string::npos || event.name.size() > size) {
      std::abort();
    }
    if (apig_certd::watch::describe_mask(event.mask).empty()) {
      std::abort();
    }
  }
  return 0;
}
