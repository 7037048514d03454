// SimProcess: apig-sim as a background child of the test.
//
// The child is started with posix_spawn and an empty signal mask (the test may block
// signals), stdout and stderr on pipes and stdin on /dev/null. The listening line is read
// with poll(2) against a deadline; after that a thread drains both pipes until they close,
// which happens when the child exits. Shutting down is SIGTERM and a bounded wait; anything
// still alive then gets SIGKILL, so a hung simulator fails one test, not the whole run.

#include "tests/support/apig_sim_process.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace apig_certd::testing {

namespace {

constexpr std::string_view kListening = "apig-sim listening on ";

std::vector<std::string> arguments_for(const SimOptions& options) {
  std::vector<std::string> arguments = {options.binary.string(), "--seed", options.seed.string()};
  if (options.tls_certificate && options.tls_key) {
    arguments.insert(arguments.end(), {"--tls-cert", options.tls_certificate->string(), "--tls-key",
                                       options.tls_key->string()});
  }
  arguments.insert(arguments.end(), options.extra_arguments.begin(), options.extra_arguments.end());
  return arguments;
}

// Spawns argv with stdout/stderr on the write ends; returns the pid or -1.
pid_t spawn(std::vector<std::string> argv, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attributes, &empty);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> pointers;
  for (std::string& argument : argv) {
    pointers.push_back(argument.data());
  }
  pointers.push_back(nullptr);
  pid_t pid = -1;
  const int spawned =
      posix_spawn(&pid, pointers[0], &actions, &attributes, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return spawned == 0 ? pid : -1;
}

}  // namespace

std::unique_ptr<SimProcess> SimProcess::start(const SimOptions& options) {
  std::array<int, 2> out_pipe{-1, -1};
  std::array<int, 2> err_pipe{-1, -1};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed: " << std::strerror(errno);  // NOLINT(concurrency-mt-unsafe)
    return nullptr;
  }
  const pid_t pid = spawn(arguments_for(options), out_pipe[1], err_pipe[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ADD_FAILURE() << "cannot spawn " << options.binary;
    return nullptr;
  }
  std::unique_ptr<SimProcess> process(new SimProcess(pid, out_pipe[0], err_pipe[0]));
  if (!process->wait_for_listening_line(options.start_timeout)) {
    process->stop(std::chrono::milliseconds(2'000));
    ADD_FAILURE() << "apig-sim did not report listening; stdout:\n"
                  << process->stdout_text() << "\nstderr:\n"
                  << process->stderr_text();
    return nullptr;
  }
  process->drainer_ = std::thread([raw = process.get()] { raw->drain(); });
  return process;
}

SimProcess::SimProcess(pid_t pid, int out_fd, int err_fd)
    : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}

SimProcess::~SimProcess() {
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

bool SimProcess::read_into(int fd, std::string& sink) {
  std::array<char, 4096> buffer{};
  const ssize_t count = ::read(fd, buffer.data(), buffer.size());
  if (count <= 0) {
    return count < 0 && (errno == EINTR || errno == EAGAIN);
  }
  const std::lock_guard lock(output_mutex_);
  sink.append(buffer.data(), static_cast<std::size_t>(count));
  return true;
}

bool SimProcess::wait_for_listening_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_open = true;
  bool err_open = true;
  while (out_open) {
    const std::string text = stdout_text();
    const std::size_t start = text.find(kListening);
    const std::size_t end = text.find('\n', start);
    if (start != std::string::npos && end != std::string::npos) {
      url_ = text.substr(start + kListening.size(), end - start - kListening.size());
      port_ = std::stoi(url_.substr(url_.rfind(':') + 1));
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    std::array<pollfd, 2> fds = {pollfd{out_fd_, POLLIN, 0},
                                 pollfd{err_open ? err_fd_ : -1, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return false;
    }
    if (fds[0].revents != 0) {
      out_open = read_into(out_fd_, out_);
    }
    if (fds[1].revents != 0) {
      err_open = read_into(err_fd_, err_);
    }
  }
  return false;
}

void SimProcess::drain() {
  bool out_open = true;
  bool err_open = true;
  while (out_open || err_open) {
    std::array<pollfd, 2> fds = {pollfd{out_open ? out_fd_ : -1, POLLIN, 0},
                                 pollfd{err_open ? err_fd_ : -1, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      return;
    }
    if (fds[0].revents != 0) {
      out_open = read_into(out_fd_, out_);
    }
    if (fds[1].revents != 0) {
      err_open = read_into(err_fd_, err_);
    }
  }
}

int SimProcess::stop(std::chrono::milliseconds timeout) {
  if (reaped_) {
    return -1;
  }
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  reaped_ = true;
  if (drainer_.joinable()) {
    drainer_.join();
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string SimProcess::stdout_text() const {
  const std::lock_guard lock(output_mutex_);
  return out_;
}

std::string SimProcess::stderr_text() const {
  const std::lock_guard lock(output_mutex_);
  return err_;
}

}  // namespace apig_certd::testing
