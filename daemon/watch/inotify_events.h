#pragma once

// The inotify event decoder: bytes read(2) from an inotify descriptor -> InotifyEvent values.
//
// Pure (no system calls) and safe for any input, so it can be fuzzed and tested with
// hand-built buffers.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace apig_certd::watch {

// One event as inotify(7) describes it, with the name as a string.
struct InotifyEvent {
  int wd = -1;               // The watch descriptor, or -1 for IN_Q_OVERFLOW.
  std::uint32_t mask = 0;    // IN_* bits.
  std::uint32_t cookie = 0;  // Pairs IN_MOVED_FROM with IN_MOVED_TO.
  std::string name;          // The entry in the watched directory; empty for the directory itself.
};

// Decodes every event in a buffer filled by read(2) on an inotify fd. A truncated trailing
// record (should never happen from the kernel) ends decoding; name is cut at its first NUL.
// Any byte sequence is accepted: records are bounds-checked and headers are copied out, so
// the buffer needs no particular alignment.
std::vector<InotifyEvent> decode_inotify_events(std::span<const std::byte> buffer);

// The mask as its IN_* names joined by '|', e.g. "IN_CREATE|IN_ISDIR", for logs. Bits without
// a name are shown as one hexadecimal remainder ("IN_CREATE|0x40000000"); 0 is "0".
std::string describe_mask(std::uint32_t mask);

}  // namespace apig_certd::watch
