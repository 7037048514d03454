// Decoding inotify records.
//
// inotify(7): a read may return several events, each a fixed header (struct inotify_event:
// wd, mask, cookie, len) followed by `len` bytes of name, NUL-terminated and padded with
// more NULs so that the next header is aligned. We decode *all* of them (SerenityOS's
// watcher decodes only the first event of a read, and silently loses the rest).
//
// The header is memcpy'd out of the buffer rather than read through a cast pointer, so a
// buffer at any address, or garbage from a fuzzer, is never undefined behaviour. A record
// whose header or name would run past the end stops decoding: the kernel only returns whole
// events, so a short tail means the input is not from the kernel and nothing after it can
// be trusted.

#include "daemon/watch/inotify_events.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <string_view>
#include <utility>

#include <sys/inotify.h>

namespace apig_certd::watch {

namespace {

constexpr std::size_t kHeaderSize = sizeof(struct inotify_event);

// The names of the IN_* bits, in the order inotify.h defines them. Combined masks such as
// IN_MOVE and IN_CLOSE are left out so that every bit is named once.
constexpr std::array<std::pair<std::uint32_t, std::string_view>, 22> kMaskNames{{
    {IN_ACCESS, "IN_ACCESS"},
    {IN_MODIFY, "IN_MODIFY"},
    {IN_ATTRIB, "IN_ATTRIB"},
    {IN_CLOSE_WRITE, "IN_CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "IN_CLOSE_NOWRITE"},
    {IN_OPEN, "IN_OPEN"},
    {IN_MOVED_FROM, "IN_MOVED_FROM"},
    {IN_MOVED_TO, "IN_MOVED_TO"},
    {IN_CREATE, "IN_CREATE"},
    {IN_DELETE, "IN_DELETE"},
    {IN_DELETE_SELF, "IN_DELETE_SELF"},
    {IN_MOVE_SELF, "IN_MOVE_SELF"},
    {IN_UNMOUNT, "IN_UNMOUNT"},
    {IN_Q_OVERFLOW, "IN_Q_OVERFLOW"},
    {IN_IGNORED, "IN_IGNORED"},
    {IN_ONLYDIR, "IN_ONLYDIR"},
    {IN_DONT_FOLLOW, "IN_DONT_FOLLOW"},
    {IN_EXCL_UNLINK, "IN_EXCL_UNLINK"},
    {IN_MASK_CREATE, "IN_MASK_CREATE"},
    {IN_MASK_ADD, "IN_MASK_ADD"},
    {IN_ISDIR, "IN_ISDIR"},
    {IN_ONESHOT, "IN_ONESHOT"},
}};

std::string hexadecimal(std::uint32_t value) {
  std::array<char, 8> digits{};
  auto* const end = std::to_chars(digits.begin(), digits.end(), value, 16).ptr;
  return "0x" + std::string(digits.begin(), end);
}

}  // namespace

std::vector<InotifyEvent> decode_inotify_events(std::span<const std::byte> buffer) {
  std::vector<InotifyEvent> events;
  std::size_t offset = 0;
  while (buffer.size() - offset >= kHeaderSize) {
    struct inotify_event header {};
    std::memcpy(&header, buffer.subspan(offset, kHeaderSize).data(), kHeaderSize);
    offset += kHeaderSize;
    if (header.len > buffer.size() - offset) {
      break;  // A truncated record: not from the kernel, stop trusting the rest.
    }
    const std::span<const std::byte> name = buffer.subspan(offset, header.len);
    offset += header.len;
    const auto name_end = std::find(name.begin(), name.end(), std::byte{0});
    InotifyEvent& event = events.emplace_back();
    event.wd = header.wd;
    event.mask = header.mask;
    event.cookie = header.cookie;
    event.name.reserve(static_cast<std::size_t>(name_end - name.begin()));
    for (auto it = name.begin(); it != name_end; ++it) {
      event.name.push_back(static_cast<char>(*it));
    }
  }
  return events;
}

std::string describe_mask(std::uint32_t mask) {
  if (mask == 0) {
    return "0";
  }
  std::string text;
  std::uint32_t unnamed = mask;
  for (const auto& [bit, name] : kMaskNames) {
    if ((mask & bit) != 0) {
      text += text.empty() ? "" : "|";
      text += name;
      unnamed &= ~bit;
    }
  }
  if (unnamed != 0) {
    text += text.empty() ? "" : "|";
    text += hexadecimal(unnamed);
  }
  return text;
}

}  // namespace apig_certd::watch
