//===- ColdRunTimerTest.cpp - What the tuner's timer runs and returns ----===//
#include "backends/x86/ColdRunTimer.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

using namespace spcc::x86;

TEST_CASE("a cold timing warms up once, then times at least three runs", "[tune]") {
  int calls = 0;
  double seconds = timeRuns([&] { ++calls; }, 0.0, 1, {}, CacheState::Cold);
  CHECK(calls == 4);
  CHECK(std::isfinite(seconds));
  CHECK(seconds >= 0.0);
}

TEST_CASE("a cold timing keeps timing until its time is spent, and times the run itself",
          "[tune]") {
  int calls = 0;
  auto run = [&] {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  double seconds = timeRuns(run, 0.1, 2, {}, CacheState::Cold);
  // Each timed run sleeps 2 ms: a median below that would not have timed the run.
  CHECK(seconds >= 0.002);
  // 0.1 s cannot pass in three runs of a few milliseconds and their sweeps.
  CHECK(calls > 4);
}

TEST_CASE("a cold timing reads back the layer's input, empty buffers included", "[tune]") {
  std::vector<float> input(1 << 16, 1.0f), empty;
  int calls = 0;
  double seconds = timeRuns(
      [&] { ++calls; }, 0.0, 0,
      {{input.data(), input.size() * sizeof(float)}, {empty.data(), empty.size() * sizeof(float)}},
      CacheState::Cold);
  CHECK(calls == 4);
  CHECK(seconds >= 0.0);
}

TEST_CASE("a warm timing runs back to back: no sweeps between runs", "[tune]") {
  // In 50 ms a warm timing of an empty run reaches its 1000 samples; a cold one sweeps at least
  // 4 MiB per thread before every run and cannot.
  int warmCalls = 0, coldCalls = 0;
  timeRuns([&] { ++warmCalls; }, 0.05, 1, {}, CacheState::Warm);
  timeRuns([&] { ++coldCalls; }, 0.05, 1, {}, CacheState::Cold);
  CHECK(warmCalls == 1001);
  CHECK(coldCalls < 1001);
}
