#include "tests/support/notify_socket.h"

#include <array>
#include <cerrno>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace apig_certd::testing {

NotifySocket::NotifySocket(std::filesystem::path path)
    : path_(std::move(path)), fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::array<int, 2> pipe{-1, -1};
  if (path_.string().size() >= sizeof address.sun_path || ::pipe2(pipe.data(), O_CLOEXEC) != 0) {
    return;
  }
  stop_read_.reset(pipe[0]);
  stop_write_.reset(pipe[1]);
  path_.string().copy(address.sun_path, sizeof address.sun_path - 1);
  bound_ = ::bind(fd_.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  if (bound_) {
    reader_ = std::thread([this] { read_loop(); });
  }
}

NotifySocket::~NotifySocket() {
  stop_write_.reset();  // the reader sees POLLHUP and ends
  if (reader_.joinable()) {
    reader_.join();
  }
}

void NotifySocket::read_loop() {
  while (true) {
    std::array<pollfd, 2> fds{pollfd{fd_.get(), POLLIN, 0}, pollfd{stop_read_.get(), POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    if (fds[1].revents != 0) {
      return;
    }
    std::string buffer(4096, '\0');
    const ssize_t got = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (got < 0) {
      continue;
    }
    buffer.resize(static_cast<std::size_t>(got));
    {
      const std::lock_guard lock(mutex_);
      received_.push_back(std::move(buffer));
    }
    arrived_.notify_all();
  }
}

std::optional<std::string> NotifySocket::receive(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!arrived_.wait_for(lock, timeout, [this] { return consumed_ < received_.size(); })) {
    return std::nullopt;
  }
  return received_[consumed_++];
}

std::optional<std::string> NotifySocket::wait_for(const std::string& text,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    std::optional<std::string> message = receive(left);
    if (message && message->find(text) != std::string::npos) {
      return message;
    }
  }
}

std::vector<std::string> NotifySocket::received() const {
  const std::lock_guard lock(mutex_);
  return received_;
}

}  // namespace apig_certd::testing
