//===- SampleWorkers.h - Threads that run a batch's samples side by side --===//
//
// spcc_run_batch on a context of T >= 2 threads runs whole samples on separate threads, one
// thread each, rather than every sample on all T threads one after another: a sample's layers
// then never wait for each other's threads, and the threads never share a layer's cache lines.
// The threads belong to the context and live as long as it does, so that neither they nor the
// kernels' per-thread buffers are created again on every run.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_LOADER_SAMPLEWORKERS_H
#define SPCC_RUNTIME_LOADER_SAMPLEWORKERS_H

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace spcc::runtime {

class SampleWorkers {
public:
  /// Starts \p extraThreads threads, which wait for work.
  explicit SampleWorkers(int extraThreads);
  ~SampleWorkers();
  SampleWorkers(const SampleWorkers &) = delete;
  SampleWorkers &operator=(const SampleWorkers &) = delete;

  int extraThreads() const { return int(threads.size()); }

  /// Calls \p job(w) for every w in [0, extraThreads]: w = 0 on the calling thread, the others
  /// on the workers. Returns when all have returned. \p job must not throw.
  void runOnAll(const std::function<void(int)> &job);

private:
  void workerLoop(int worker);

  std::vector<std::thread> threads;
  std::mutex mutex;
  std::condition_variable wake, finished;
  const std::function<void(int)> *job = nullptr;
  uint64_t generation = 0; ///< counts runOnAll calls: a worker runs each generation once
  int pending = 0;         ///< workers still running the current generation
  bool stopping = false;
};

} // namespace spcc::runtime

#endif
