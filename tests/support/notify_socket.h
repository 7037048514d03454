#pragma once

// NotifySocket: a test-owned AF_UNIX datagram socket standing in for systemd's notify socket
// (pass path() as NOTIFY_SOCKET to the child). A thread reads every datagram as it arrives,
// as systemd does: an unread socket fills up (net.unix.max_dgram_qlen, often 10) and then
// blocks the sender. Waits are bounded.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/sys/unique_fd.h"

namespace apig_certd::testing {

class NotifySocket {
 public:
  explicit NotifySocket(std::filesystem::path path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  NotifySocket(NotifySocket&&) = delete;
  NotifySocket& operator=(NotifySocket&&) = delete;

  bool bound() const { return bound_; }
  const std::filesystem::path& path() const { return path_; }

  // The next datagram not yet returned by receive() or wait_for(), or nullopt when none
  // arrives within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // Consumes datagrams until one contains `text` (returned) or `timeout` passes (nullopt).
  std::optional<std::string> wait_for(const std::string& text, std::chrono::milliseconds timeout);
  // Every datagram received so far, consumed or not.
  std::vector<std::string> received() const;

 private:
  void read_loop();

  std::filesystem::path path_;
  sys::UniqueFd fd_;
  sys::UniqueFd stop_read_;  // eventfd-like pipe end that ends the reader
  sys::UniqueFd stop_write_;
  bool bound_ = false;
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> received_;
  std::size_t consumed_ = 0;
  std::thread reader_;
};

}  // namespace apig_certd::testing
