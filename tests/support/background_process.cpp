#include "tests/support/background_process.h"

#include <array>
#include <cerrno>
#include <csignal>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/spawn.h"

namespace apig_certd::testing {

int count_of(std::string_view haystack, std::string_view text) {
  int count = 0;
  for (std::size_t at = haystack.find(text); at != std::string_view::npos && !text.empty();
       at = haystack.find(text, at + text.size())) {
    ++count;
  }
  return count;
}

std::unique_ptr<BackgroundProcess> BackgroundProcess::start(
    const std::vector<std::string>& argv,
    const std::map<std::string, std::string>& environment_changes) {
  const SpawnedChild child = spawn_with_pipes(argv, environment_changes);
  if (child.pid < 0) {
    ADD_FAILURE() << "cannot start " << argv.front() << ": " << child.error;
    return nullptr;
  }
  std::unique_ptr<BackgroundProcess> process(
      new BackgroundProcess(child.pid, child.out_fd, child.err_fd));
  process->drainer_ = std::thread([raw = process.get()] { raw->drain(); });
  return process;
}

BackgroundProcess::BackgroundProcess(pid_t pid, int out_fd, int err_fd)
    : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}

BackgroundProcess::~BackgroundProcess() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (drainer_.joinable()) {
    drainer_.join();
  }
  ::close(out_fd_);
  ::close(err_fd_);
}

void BackgroundProcess::signal(int number) const {
  if (!reaped_) {
    ::kill(pid_, number);
  }
}

void BackgroundProcess::drain() {
  std::array<pollfd, 2> fds = {pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
  std::array<std::string*, 2> sinks{&out_, &err_};
  int open_count = 2;
  while (open_count > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      if (const std::optional<std::string> bytes = read_available(fds[i].fd)) {
        const std::lock_guard lock(output_mutex_);
        sinks[i]->append(*bytes);
      } else {
        fds[i].fd = -1;  // closed in the destructor
        --open_count;
      }
    }
  }
}

std::optional<int> BackgroundProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reaped_) {
    const pid_t done = ::waitpid(pid_, &status_, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (drainer_.joinable()) {
    drainer_.join();
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

bool BackgroundProcess::dumped_core() const {
  return reaped_ && WIFSIGNALED(status_) && WCOREDUMP(status_);
}

int BackgroundProcess::stop(std::chrono::milliseconds timeout) {
  if (reaped_) {
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  }
  ::kill(pid_, SIGTERM);
  if (const std::optional<int> code = wait(timeout)) {
    return *code;
  }
  ::kill(pid_, SIGKILL);
  (void)wait(std::chrono::milliseconds(10'000));
  return -1;
}

bool BackgroundProcess::wait_for(std::string BackgroundProcess::*stream, std::string_view text,
                                 std::chrono::milliseconds timeout, int count) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      const std::lock_guard lock(output_mutex_);
      if (count_of(this->*stream, text) >= count) {
        return true;
      }
    }
    if (std::chrono::steady_clock::now() > deadline || reaped_) {
      return false;
    }
    if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped_ = true;  // one more look at the output after this
      if (drainer_.joinable()) {
        drainer_.join();
      }
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool BackgroundProcess::wait_for_stdout(std::string_view text, std::chrono::milliseconds timeout,
                                        int count) {
  return wait_for(&BackgroundProcess::out_, text, timeout, count);
}

bool BackgroundProcess::wait_for_stderr(std::string_view text, std::chrono::milliseconds timeout,
                                        int count) {
  return wait_for(&BackgroundProcess::err_, text, timeout, count);
}

std::string BackgroundProcess::stdout_text() const {
  const std::lock_guard lock(output_mutex_);
  return out_;
}

std::string BackgroundProcess::stderr_text() const {
  const std::lock_guard lock(output_mutex_);
  return err_;
}

}  // namespace apig_certd::testing
