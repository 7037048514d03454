// BackgroundTasks: every task runs exactly once, off the calling thread, on at most the
// threads asked for, and wait() returns only when all have run.

#include "daemon/engine/background_tasks.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace apig_certd::engine {
namespace {

TEST(BackgroundTasksTest, RunsEveryTaskOnceOffTheCallingThread) {
  constexpr std::size_t kCount = 1000;
  std::vector<std::atomic<int>> runs(kCount);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  {
    BackgroundTasks tasks(kCount, 3, [&](std::size_t i, std::size_t /*thread*/) {
      runs[i].fetch_add(1);
      const std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    });
    tasks.wait();
    for (std::size_t i = 0; i < kCount; ++i) {
      ASSERT_EQ(runs[i].load(), 1) << i;
    }
  }
  EXPECT_GE(threads.size(), 1U);
  EXPECT_LE(threads.size(), 3U);
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
}

TEST(BackgroundTasksTest, TheDestructorWaits) {
  std::atomic<int> done{0};
  {
    const BackgroundTasks tasks(8, 2, [&](std::size_t, std::size_t) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      done.fetch_add(1);
    });
  }
  EXPECT_EQ(done.load(), 8);
}

TEST(BackgroundTasksTest, NoTasksStartNoThreadsAndZeroThreadsMeansOne) {
  std::atomic<int> done{0};
  {
    const BackgroundTasks none(0, 4, [&](std::size_t, std::size_t) { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 0);
  std::set<std::thread::id> threads;
  {
    BackgroundTasks one(
        5, 0, [&](std::size_t, std::size_t) { threads.insert(std::this_thread::get_id()); });
    one.wait();
    one.wait();  // a second wait is harmless
  }
  EXPECT_EQ(threads.size(), 1U);
  EXPECT_GE(core_count(), 1U);
}

}  // namespace
}  // namespace apig_certd::engine
