//===- SampleWorkers.cpp - Threads that run a batch's samples side by side ===//
#include "SampleWorkers.h"

namespace spcc::runtime {

SampleWorkers::SampleWorkers(int extraThreads) {
  threads.reserve(size_t(extraThreads));
  for (int w = 1; w <= extraThreads; ++w) threads.emplace_back([this, w] { workerLoop(w); });
}

SampleWorkers::~SampleWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &t : threads) t.join();
}

void SampleWorkers::runOnAll(const std::function<void(int)> &work) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    job = &work;
    pending = int(threads.size());
    ++generation;
  }
  wake.notify_all();
  work(0);
  std::unique_lock<std::mutex> lock(mutex);
  finished.wait(lock, [this] { return pending == 0; });
  job = nullptr;
}

void SampleWorkers::workerLoop(int worker) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int)> *work;
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping) return;
      seen = generation;
      work = job;
    }
    (*work)(worker);
    std::lock_guard<std::mutex> lock(mutex);
    if (--pending == 0) finished.notify_one();
  }
}

} // namespace spcc::runtime
