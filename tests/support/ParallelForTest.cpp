//===- ParallelForTest.cpp - Independent work items on a few threads -----===//
#include "compiler/support/ParallelFor.h"
#include "compiler/support/Error.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <vector>

using namespace spcc;

TEST_CASE("every item runs once, on workers numbered below the worker count", "[support]") {
  for (unsigned threads : {0u, 1u, 3u, 8u}) {
    INFO("threads " << threads);
    const size_t count = 1000;
    std::vector<std::atomic<int>> runs(count);
    std::mutex mutex;
    std::set<unsigned> workers;
    llvm::Error error = parallelFor(count, threads, [&](size_t i, unsigned worker) {
      ++runs[i];
      std::lock_guard<std::mutex> lock(mutex);
      workers.insert(worker);
      return llvm::Error::success();
    });
    REQUIRE_FALSE(static_cast<bool>(error));
    for (size_t i = 0; i < count; ++i) REQUIRE(runs[i] == 1);
    REQUIRE(*workers.rbegin() < parallelWorkers(count, threads));
  }
  CHECK(parallelWorkers(2, 8) == 2);
  CHECK(parallelWorkers(0, 8) == 1);
  CHECK(parallelWorkers(100, 3) == 3);
  llvm::Error none = parallelFor(0, 4, [](size_t, unsigned) -> llvm::Error {
    FAIL("no item to run");
    return llvm::Error::success();
  });
  CHECK_FALSE(static_cast<bool>(none));
}

TEST_CASE("the first failure is returned and no item starts after it", "[support]") {
  for (unsigned threads : {1u, 2u, 4u}) {
    INFO("threads " << threads);
    std::atomic<size_t> started{0};
    llvm::Error error = parallelFor(10000, threads, [&](size_t i, unsigned) -> llvm::Error {
      ++started;
      if (i == 5) return makeError(ErrorCode::Internal, "item 5 failed");
      return llvm::Error::success();
    });
    ErrorCode code;
    CHECK(takeMessage(std::move(error), &code) == "item 5 failed");
    CHECK(code == ErrorCode::Internal);
    // One thread stops at the failure; with more, the items other threads take before the
    // failure is recorded still run.
    if (threads == 1) CHECK(started == 6);
  }
}
