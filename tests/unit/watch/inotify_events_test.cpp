// The inotify decoder against hand-built buffers (several events, NUL padding, empty names,
// overflow, truncation, misalignment, random bytes) and once against what the kernel writes.

#include "daemon/watch/inotify_events.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "daemon/sys/unique_fd.h"
#include "tests/support/temp_dir.h"

namespace apig_certd::watch::inotify_events_test {
namespace {

// Appends one record: the header, then `name` NUL-padded to `name_length` bytes (the kernel
// pads to a multiple of the header's alignment). `name_length` below name.size() writes a
// record that claims fewer bytes than the name has, to build truncated buffers.
void append_event(std::vector<std::byte>& buffer, int wd, std::uint32_t mask, std::uint32_t cookie,
                  std::string_view name, std::size_t name_length) {
  struct inotify_event header {};
  header.wd = wd;
  header.mask = mask;
  header.cookie = cookie;
  header.len = static_cast<std::uint32_t>(name_length);
  const std::size_t offset = buffer.size();
  buffer.resize(offset + sizeof(header) + std::max(name_length, name.size()));
  const std::span<std::byte> record = std::span<std::byte>(buffer).subspan(offset);
  std::memcpy(record.data(), &header, sizeof(header));
  std::memcpy(record.subspan(sizeof(header)).data(), name.data(), name.size());
}

void append_event(std::vector<std::byte>& buffer, int wd, std::uint32_t mask,
                  std::string_view name) {
  const std::size_t padded = name.empty() ? 0 : (name.size() / 16 + 1) * 16;
  append_event(buffer, wd, mask, 0, name, padded);
}

TEST(InotifyEvents, DecodesSeveralEventsInOneBuffer) {
  std::vector<std::byte> buffer;
  append_event(buffer, 1, IN_CREATE, "fullchain3.pem");
  append_event(buffer, 1, IN_CLOSE_WRITE, "fullchain3.pem");
  append_event(buffer, 2, IN_MOVED_FROM, 77, "cert.pem.tmp", 16);
  append_event(buffer, 2, IN_MOVED_TO, 77, "cert.pem", 16);
  append_event(buffer, 3, IN_CREATE | IN_ISDIR, "..2026_11_28_10_00_00.123");

  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 5U);
  EXPECT_EQ(events[0].wd, 1);
  EXPECT_EQ(events[0].mask, IN_CREATE);
  EXPECT_EQ(events[0].name, "fullchain3.pem");
  EXPECT_EQ(events[1].mask, IN_CLOSE_WRITE);
  EXPECT_EQ(events[2].wd, 2);
  EXPECT_EQ(events[2].cookie, 77U);
  EXPECT_EQ(events[2].name, "cert.pem.tmp");
  EXPECT_EQ(events[3].mask, IN_MOVED_TO);
  EXPECT_EQ(events[3].cookie, 77U);
  EXPECT_EQ(events[3].name, "cert.pem");
  EXPECT_EQ(events[4].wd, 3);
  EXPECT_EQ(events[4].mask, IN_CREATE | IN_ISDIR);
  EXPECT_EQ(events[4].name, "..2026_11_28_10_00_00.123");
}

TEST(InotifyEvents, NameIsCutAtItsFirstNul) {
  std::vector<std::byte> buffer;
  append_event(buffer, 4, IN_DELETE, 0, std::string_view("key.pem\0junk", 12), 32);
  append_event(buffer, 4, IN_DELETE, 0, "exactly-16-bytes", 16);  // No terminating NUL.

  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].name, "key.pem");
  EXPECT_EQ(events[1].name, "exactly-16-bytes");
}

TEST(InotifyEvents, EmptyNameIsAnEventOnTheDirectoryItself) {
  std::vector<std::byte> buffer;
  append_event(buffer, 5, IN_DELETE_SELF, "");
  append_event(buffer, 5, IN_IGNORED, 0, "", 16);  // All padding.

  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].mask, IN_DELETE_SELF);
  EXPECT_EQ(events[0].name, "");
  EXPECT_EQ(events[1].mask, IN_IGNORED);
  EXPECT_EQ(events[1].name, "");
}

TEST(InotifyEvents, OverflowEventHasNoWatch) {
  std::vector<std::byte> buffer;
  append_event(buffer, -1, IN_Q_OVERFLOW, "");

  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].wd, -1);
  EXPECT_EQ(events[0].mask, IN_Q_OVERFLOW);
}

TEST(InotifyEvents, EmptyBufferHasNoEvents) {
  EXPECT_TRUE(decode_inotify_events({}).empty());
}

TEST(InotifyEvents, TruncatedHeaderEndsDecoding) {
  std::vector<std::byte> buffer;
  append_event(buffer, 1, IN_CREATE, "a.pem");
  append_event(buffer, 2, IN_CREATE, "b.pem");
  buffer.resize(buffer.size() - 16 - 10);  // Keep 6 bytes of the second header.

  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].name, "a.pem");
}

TEST(InotifyEvents, TruncatedNameEndsDecoding) {
  std::vector<std::byte> buffer;
  append_event(buffer, 1, IN_CREATE, "a.pem");
  append_event(buffer, 2, IN_CREATE, "b.pem");
  buffer.resize(buffer.size() - 1);

  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].name, "a.pem");
}

TEST(InotifyEvents, HugeLengthDoesNotWrapAround) {
  std::vector<std::byte> buffer;
  append_event(buffer, 1, IN_CREATE, 0, "", 0);
  struct inotify_event header {};
  std::memcpy(&header, buffer.data(), sizeof(header));
  header.len = 0xFFFF'FFFFU;  // Claims 4 GiB of name after a 1-byte one.
  std::memcpy(buffer.data(), &header, sizeof(header));
  buffer.push_back(std::byte{'x'});
  EXPECT_TRUE(decode_inotify_events(buffer).empty());
}

TEST(InotifyEvents, UnalignedBufferIsDecoded) {
  std::vector<std::byte> buffer(1);
  append_event(buffer, 9, IN_ATTRIB, "tls.key");

  const std::vector<InotifyEvent> events =
      decode_inotify_events(std::span<const std::byte>(buffer).subspan(1));

  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].wd, 9);
  EXPECT_EQ(events[0].name, "tls.key");
}

TEST(InotifyEvents, RandomBytesNeverCrash) {
  std::mt19937 random(20261128U);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 400);
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::byte> buffer(length(random));
    for (std::byte& value : buffer) {
      // Small values now and then, so that some length fields are plausible.
      value = static_cast<std::byte>(round % 2 == 0 ? byte(random) : byte(random) % 8);
    }
    std::size_t decoded = 0;
    for (const InotifyEvent& event : decode_inotify_events(buffer)) {
      decoded += sizeof(struct inotify_event) + event.name.size();
    }
    EXPECT_LE(decoded, buffer.size());
  }
}

TEST(InotifyEvents, DecodesWhatTheKernelWrites) {
  const testing::TempDir temp_dir;
  const sys::UniqueFd fd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  ASSERT_TRUE(fd);
  const int wd = ::inotify_add_watch(fd.get(), temp_dir.path().c_str(), IN_CREATE | IN_CLOSE_WRITE);
  ASSERT_GE(wd, 0);
  temp_dir.write("cert.pem", "x");
  temp_dir.write("a-longer-name-than-sixteen-bytes.pem", "y");

  std::vector<std::byte> buffer(std::size_t{64} * 1024);
  const ssize_t count = ::read(fd.get(), buffer.data(), buffer.size());
  ASSERT_GT(count, 0);
  buffer.resize(static_cast<std::size_t>(count));
  const std::vector<InotifyEvent> events = decode_inotify_events(buffer);

  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(events[0].wd, wd);
  EXPECT_EQ(events[0].mask, IN_CREATE);
  EXPECT_EQ(events[0].name, "cert.pem");
  EXPECT_EQ(events[1].mask, IN_CLOSE_WRITE);
  EXPECT_EQ(events[1].name, "cert.pem");
  EXPECT_EQ(events[2].mask, IN_CREATE);
  EXPECT_EQ(events[2].name, "a-longer-name-than-sixteen-bytes.pem");
  EXPECT_EQ(events[3].mask, IN_CLOSE_WRITE);
}

TEST(InotifyEvents, DescribeMaskNamesEveryBit) {
  EXPECT_EQ(describe_mask(0), "0");
  EXPECT_EQ(describe_mask(IN_CREATE), "IN_CREATE");
  EXPECT_EQ(describe_mask(IN_CREATE | IN_ISDIR), "IN_CREATE|IN_ISDIR");
  EXPECT_EQ(describe_mask(IN_MOVED_FROM | IN_MOVED_TO), "IN_MOVED_FROM|IN_MOVED_TO");
  EXPECT_EQ(describe_mask(IN_Q_OVERFLOW), "IN_Q_OVERFLOW");
  EXPECT_EQ(describe_mask(IN_DELETE_SELF | IN_IGNORED), "IN_DELETE_SELF|IN_IGNORED");
}

TEST(InotifyEvents, DescribeMaskShowsUnnamedBitsInHexadecimal) {
  EXPECT_EQ(describe_mask(IN_MODIFY | 0x1000U | 0x0010'0000U), "IN_MODIFY|0x101000");
  EXPECT_EQ(describe_mask(0x0800'0000U), "0x8000000");
}

}  // namespace
}  // namespace apig_certd::watch::inotify_events_test
