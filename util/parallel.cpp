// parallel_for (see parallel.h).
#include "util/parallel.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "util/progress.h"

namespace agf {

void parallel_for(size_t n, int threads, const std::function<void(size_t)>& fn, Progress* progress,
                  const std::atomic<int64_t>* done, int poll_ms) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  const size_t nt = std::min(size_t(threads), n);
  std::atomic<size_t> next{0}, finished{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mu;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(error_mu);
    if (!error) error = e;
    failed = true;
  };
  auto count = [&] { return done ? done->load() : int64_t(finished.load()); };
  std::vector<std::thread> pool;
  try {
    for (size_t t = 0; t < nt; ++t)
      pool.emplace_back([&] {
        for (size_t i; !failed && (i = next++) < n;) {
          try {
            fn(i);
            ++finished;
          } catch (...) {
            fail(std::current_exception());
          }
        }
      });
  } catch (...) {  // a thread that cannot start: stop the others, then report it
    fail(std::current_exception());
  }
  if (progress)
    while (finished < n && !failed) {
      progress->set(count());
      std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    }
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
  if (progress) progress->set(count());
}

}  // namespace agf
