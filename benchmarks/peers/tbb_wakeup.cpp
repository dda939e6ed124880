// Wake-up latency of a TBB worker: the time from spawning a task to its start on another
// thread that was idle (asleep), as toy-mt-framework's TBB back end pays it when a module's
// dependents become ready. Built and run by calibrate_toymt.py.
//
//   tbb_wakeup REPEAT GAP_US  ->  "<median_us> <p10_us> <p90_us> <mean_us>"
//
// The main thread spawns one task into a 2-thread arena and then sleeps in usleep (so only
// the worker can take it); between spawns it waits GAP_US so the worker has gone to sleep.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <vector>

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 3 || std::atoi(argv[1]) < 1 || std::atoi(argv[2]) < 0) {
    std::fprintf(stderr, "usage: tbb_wakeup REPEAT GAP_US (positive integers)\n");
    return 2;
  }
  const int repeat = std::atoi(argv[1]);
  const int gap_us = std::atoi(argv[2]);
  tbb::global_control control{tbb::global_control::max_allowed_parallelism, 2};
  tbb::task_arena arena(2);
  std::vector<double> latency;
  latency.reserve(repeat);
  arena.execute([&] {
    tbb::task_group group;
    for (int r = 0; r < repeat; ++r) {
      usleep(gap_us);
      std::atomic<long long> started{0};
      const auto spawned = Clock::now();
      group.run([&] { started = Clock::now().time_since_epoch().count(); });
      while (started.load() == 0) usleep(1000);  // never take the task ourselves
      const auto start = Clock::time_point(Clock::duration(started.load()));
      latency.push_back(std::chrono::duration<double, std::micro>(start - spawned).count());
    }
    group.wait();
  });
  double sum = 0;
  for (double x : latency) sum += x;
  std::sort(latency.begin(), latency.end());
  std::printf("%.3f %.3f %.3f %.3f\n", latency[repeat / 2], latency[repeat / 10],
              latency[(9 * repeat) / 10], sum / repeat);
  return 0;
}
