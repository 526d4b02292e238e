//===- SparseLaunch.h - Running one generated sparse layer --------------===//
//
// What spcc_kernel_sparse (SparseLaunch.cpp) does around a generated task: B prepared from the
// input, the work split over the threads, C written back. The compiler's tuner, the kernel
// tests and spcc-kbench call the kernel library's spcc_kernel_sparse too (KernelJit), so they
// time and check this very code, compiled for the level.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_KERNELS_SPARSELAUNCH_H
#define SPCC_RUNTIME_KERNELS_SPARSELAUNCH_H

#include "runtime/kernels/Parallel.h"
#include "runtime/kernels/SparseParams.h"
#include "runtime/kernels/SparseWorkspace.h"
#include "runtime/kernels/StridedCopy.h"
#include "runtime/kernels/Transpose.h"
#include "runtime/kernels/VectorLanes.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace spcc::kernels {

/// A buffer of the calling thread, one per \p Slot: at least \p floats floats, 64-byte aligned,
/// kept for the thread's later calls (null when \p floats is 0).
template <int Slot> inline float *threadBuffer(int64_t floats) {
  struct Buffer {
    float *data = nullptr;
    int64_t floats = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer buffer;
  if (floats <= buffer.floats) return floats > 0 ? buffer.data : nullptr;
  std::free(buffer.data);
  buffer.data = nullptr;
  buffer.floats = 0;
  buffer.data = static_cast<float *>(std::aligned_alloc(64, size_t(floats + 15) / 16 * 64));
  if (!buffer.data) throw std::bad_alloc();
  buffer.floats = floats;
  return buffer.data;
}

/// The calling thread's scratch for a task (spcc_sparse_task_args::scratch): a packed block of
/// B takes up to a few hundred KiB, more than a caller's stack may have.
inline float *threadScratch(int64_t floats) { return threadBuffer<0>(floats); }

/// The calling thread's own workspace for a layer's image (runSparseImages).
inline float *threadWorkspace(int64_t floats) { return threadBuffer<1>(floats); }

/// fillPhasePlaneRows at stride 1: plane row y is input row y - pad_top moved right by
/// pad_left, zeros around it, written in whole vectors, each one masked load of the input
/// columns it covers (a row is a few vectors: per-piece copies cost more than the data).
/// Rows of more than eight vectors (fillUnitStrideRowsOf takes the others).
inline void fillWideUnitStridePlaneRows(const spcc_sparse_params &p, const float *in, float *planes,
                                        int64_t c0, int64_t c1, int64_t y0, int64_t y1) {
  constexpr int Lanes = kWideLanes;
  const FloatVector<Lanes> zeros = splatLanes<Lanes>(0.0f);
  int64_t planeSize = p.plane_h * p.plane_w;
  for (int64_t c = c0; c < c1; ++c) {
    const float *src = in + c * p.in_h * p.in_w;
    for (int64_t y = y0; y < y1; ++y) {
      float *row = planes + c * planeSize + y * p.plane_w;
      int64_t iy = y - p.pad_top;
      const float *shifted = iy >= 0 && iy < p.in_h ? src + iy * p.in_w - p.pad_left : nullptr;
      for (int64_t x = 0; x < p.plane_w; x += Lanes) {
        uint32_t read = laneRange(p.pad_left - x, p.pad_left + p.in_w - x);
        storeFirst<Lanes>(row + x, shifted ? loadMasked<Lanes>(shifted + x, read) : zeros,
                          p.plane_w - x);
      }
    }
  }
}

/// Writes plane rows of \p Vectors vectors, the last one only up to the row's end.
template <int Vectors> class PlaneRowWriter {
public:
  static constexpr int Lanes = kWideLanes;
  explicit PlaneRowWriter(int64_t planeW) : lastLanes(planeW - (Vectors - 1) * Lanes) {}

  void write(float *row, const FloatVector<Lanes> *v) const {
    for (int j = 0; j + 1 < Vectors; ++j) storeLanes<Lanes>(row + j * Lanes, v[j]);
    storeFirst<Lanes>(row + (Vectors - 1) * Lanes, v[Vectors - 1], lastLanes);
  }
  void writeZeros(float *row) const {
    FloatVector<Lanes> zeros[Vectors];
    for (int j = 0; j < Vectors; ++j) zeros[j] = splatLanes<Lanes>(0.0f);
    write(row, zeros);
  }

private:
  int64_t lastLanes;
};

/// Calls fill.operator()<V>() for plane rows of V vectors (1 <= V <= 8; the fills' loops
/// specialized to the vector count); false for wider rows, which the caller fills another way.
template <typename Fill> bool withRowVectors(int64_t planeW, Fill &fill) {
  switch ((planeW + kWideLanes - 1) / kWideLanes) {
  case 1: fill.template operator()<1>(); return true;
  case 2: fill.template operator()<2>(); return true;
  case 3: fill.template operator()<3>(); return true;
  case 4: fill.template operator()<4>(); return true;
  case 5: fill.template operator()<5>(); return true;
  case 6: fill.template operator()<6>(); return true;
  case 7: fill.template operator()<7>(); return true;
  case 8: fill.template operator()<8>(); return true;
  default: return false;
  }
}

/// fillPhasePlaneRows at stride 1 for plane rows of \p Vectors vectors: each vector's lanes
/// (read from the input row, written to the plane row) are the same in every row, so they are
/// worked out once and kept in mask registers, and the rows above, inside and below the input
/// are three loops without a test per row. On one core of an AMD Zen 4 this fills a 64-channel
/// 14x14 input's planes in half the time of one loop over rows and vectors with those tests,
/// and 3x3 layers of 64 and 128 channels at 14x14 and 28x28, 95% sparse, run 8-12% faster.
template <int Vectors>
inline void fillUnitStrideRowsOf(const spcc_sparse_params &p, const float *in, float *planes,
                                 int64_t c0, int64_t c1, int64_t y0, int64_t y1) {
  constexpr int Lanes = kWideLanes;
  uint32_t read[Vectors];
  for (int j = 0; j < Vectors; ++j)
    read[j] = laneRange(p.pad_left - j * Lanes, p.pad_left + p.in_w - j * Lanes);
  const PlaneRowWriter<Vectors> rows(p.plane_w);
  // Plane rows [y0, inputBegin) and [inputEnd, y1) are padding.
  int64_t inputBegin = std::clamp(p.pad_top, y0, y1);
  int64_t inputEnd = std::clamp(p.pad_top + p.in_h, inputBegin, y1);
  int64_t planeSize = p.plane_h * p.plane_w;
  for (int64_t c = c0; c < c1; ++c) {
    float *plane = planes + c * planeSize;
    // Plane row y, column x holds this at y * in_w + x.
    const float *shifted = in + c * p.in_h * p.in_w - p.pad_top * p.in_w - p.pad_left;
    for (int64_t y = y0; y < inputBegin; ++y) rows.writeZeros(plane + y * p.plane_w);
    for (int64_t y = inputBegin; y < inputEnd; ++y) {
      FloatVector<Lanes> v[Vectors];
      for (int j = 0; j < Vectors; ++j)
        v[j] = loadMasked<Lanes>(shifted + y * p.in_w + j * Lanes, read[j]);
      rows.write(plane + y * p.plane_w, v);
    }
    for (int64_t y = inputEnd; y < y1; ++y) rows.writeZeros(plane + y * p.plane_w);
  }
}

/// fillPhasePlaneRows at stride 2: plane (py, px) row y is every other column of input row
/// 2y + py - pad_top from column px - pad_left on, written in whole vectors (columns outside
/// the row read as zeros). One load of two vectors serves both column phases: its even floats
/// are plane (py, 0)'s, its odd floats plane (py, 1)'s. Rows of more than eight vectors
/// (fillStrideTwoRowsOf takes the others).
inline void fillWideStrideTwoPlaneRows(const spcc_sparse_params &p, const float *in, float *planes,
                                       int64_t c0, int64_t c1, int64_t y0, int64_t y1) {
  constexpr int Lanes = kWideLanes;
  int64_t planeSize = p.plane_h * p.plane_w;
  const bool twoPhases = p.kernel_w >= 2;
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t py = 0; py < std::min<int64_t>(2, p.kernel_h); ++py) {
      float *evenPlane = planes + (py * 2 * p.channels + c) * planeSize;
      float *oddPlane = evenPlane + p.channels * planeSize;
      const float *src = in + c * p.in_h * p.in_w;
      for (int64_t y = y0; y < y1; ++y) {
        int64_t iy = 2 * y + py - p.pad_top;
        bool rowInside = iy >= 0 && iy < p.in_h;
        const float *srcRow = src + iy * p.in_w;
        for (int64_t x = 0; x < p.plane_w; x += Lanes) {
          EvenOdd<Lanes> pair = {splatLanes<Lanes>(0.0f), splatLanes<Lanes>(0.0f)};
          int64_t column = 2 * x - p.pad_left;
          if (rowInside)
            pair = column >= 0 && column + 2 * Lanes <= p.in_w
                       ? loadEvenOdd<Lanes, false>(srcRow, column, p.in_w, 0.0f)
                       : loadEvenOdd<Lanes, true>(srcRow, column, p.in_w, 0.0f);
          storeFirst<Lanes>(evenPlane + y * p.plane_w + x, pair.evens, p.plane_w - x);
          if (twoPhases) storeFirst<Lanes>(oddPlane + y * p.plane_w + x, pair.odds, p.plane_w - x);
        }
      }
    }
}

/// fillWideStrideTwoPlaneRows for plane rows of \p Vectors vectors, as fillUnitStrideRowsOf
/// does at stride 1: each vector's load masks worked out once, the rows that read the input
/// and the padding rows in loops of their own. On one core of an AMD Zen 4 this fills the
/// planes of ResNet-50's stride-2 layers 2.4-2.8x faster (3x3 over 128 channels of 56x56: 128
/// -> 46 us; 1x1 over 1024 channels of 14x14: 59 -> 23 us), and a 224x224 image's for the
/// stems of MobileNet and ResNet-50 1.4x faster (22.5 -> 15.9 us).
template <int Vectors>
inline void fillStrideTwoRowsOf(const spcc_sparse_params &p, const float *in, float *planes,
                                int64_t c0, int64_t c1, int64_t y0, int64_t y1) {
  constexpr int Lanes = kWideLanes;
  // Plane column x of both phases comes from the pair at input column 2x - pad_left.
  uint32_t first[Vectors], second[Vectors];
  for (int j = 0; j < Vectors; ++j)
    evenOddLoadMasks(2 * j * Lanes - p.pad_left, p.in_w, first[j], second[j]);
  const PlaneRowWriter<Vectors> rows(p.plane_w);
  const bool twoPhases = p.kernel_w >= 2;
  const int64_t planeSize = p.plane_h * p.plane_w;
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t py = 0; py < std::min<int64_t>(2, p.kernel_h); ++py) {
      float *evenPlane = planes + (py * 2 * p.channels + c) * planeSize;
      float *oddPlane = evenPlane + p.channels * planeSize;
      // Plane row y reads input row 2y + py - pad_top: rows [inputBegin, inputEnd) are inside.
      int64_t inputBegin =
          std::clamp<int64_t>((std::max<int64_t>(0, p.pad_top - py) + 1) / 2, y0, y1);
      int64_t inputEnd = std::clamp<int64_t>((p.in_h + p.pad_top - py + 1) / 2, inputBegin, y1);
      auto padding = [&](int64_t from, int64_t to) {
        for (int64_t y = from; y < to; ++y) {
          rows.writeZeros(evenPlane + y * p.plane_w);
          if (twoPhases) rows.writeZeros(oddPlane + y * p.plane_w);
        }
      };
      padding(y0, inputBegin);
      const float *shifted = in + c * p.in_h * p.in_w + (py - p.pad_top) * p.in_w - p.pad_left;
      for (int64_t y = inputBegin; y < inputEnd; ++y) {
        const float *row = shifted + 2 * y * p.in_w;
        FloatVector<Lanes> evens[Vectors], odds[Vectors];
        for (int j = 0; j < Vectors; ++j) {
          EvenOdd<Lanes> pair =
              loadEvenOddMasked<Lanes>(row + 2 * j * Lanes, first[j], second[j], 0.0f);
          evens[j] = pair.evens;
          odds[j] = pair.odds;
        }
        rows.write(evenPlane + y * p.plane_w, evens);
        if (twoPhases) rows.write(oddPlane + y * p.plane_w, odds);
      }
      padding(inputEnd, y1);
    }
}

/// Rows [y0, y1) of channels [c0, c1) of the zero-padded phase planes of a [channels, in_h,
/// in_w] input (see SPCC_SPARSE_B_PHASE_PLANES).
inline void fillPhasePlaneRows(const spcc_sparse_params &p, const float *in, float *planes,
                               int64_t c0, int64_t c1, int64_t y0, int64_t y1) {
  if (p.stride <= 2) {
    auto specialized = [&]<int Vectors>() {
      if (p.stride == 1)
        fillUnitStrideRowsOf<Vectors>(p, in, planes, c0, c1, y0, y1);
      else
        fillStrideTwoRowsOf<Vectors>(p, in, planes, c0, c1, y0, y1);
    };
    if (withRowVectors(p.plane_w, specialized)) return;
    if (p.stride == 1) return fillWideUnitStridePlaneRows(p, in, planes, c0, c1, y0, y1);
    return fillWideStrideTwoPlaneRows(p, in, planes, c0, c1, y0, y1);
  }
  int64_t planeSize = p.plane_h * p.plane_w, s = p.stride;
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t py = 0; py < std::min(s, p.kernel_h); ++py)
      for (int64_t px = 0; px < std::min(s, p.kernel_w); ++px) {
        float *plane = planes + ((py * s + px) * p.channels + c) * planeSize;
        const float *src = in + c * p.in_h * p.in_w;
        // Plane columns [xLo, xHi) read input columns x * s + px - pad_left inside the row.
        int64_t xLo = std::max<int64_t>(0, (p.pad_left - px + s - 1) / s);
        int64_t lastColumn = p.in_w - 1 - px + p.pad_left; // may be negative on tiny inputs
        int64_t xHi = lastColumn < 0 ? 0 : std::min(p.plane_w, lastColumn / s + 1);
        xHi = std::max(xLo, xHi);
        for (int64_t y = y0; y < y1; ++y) {
          float *row = plane + y * p.plane_w;
          int64_t iy = y * s + py - p.pad_top;
          if (iy < 0 || iy >= p.in_h) {
            zeroFloats(row, p.plane_w);
            continue;
          }
          zeroFloats(row, xLo);
          copyStrided(row + xLo, src + iy * p.in_w + xLo * s + px - p.pad_left, xHi - xLo, s);
          zeroFloats(row + xHi, p.plane_w - xHi);
        }
      }
}

/// All of the phase planes, channels split over the threads.
inline void fillPhasePlanes(const spcc_sparse_params &p, const float *in, float *planes,
                            int32_t threads) {
  parallelFor(p.channels, threads, [&](int64_t c0, int64_t c1) {
    fillPhasePlaneRows(p, in, planes, c0, c1, 0, p.plane_h);
  });
}

/// How runSparseTask divides a layer: over `parts` threads, by positions (equal steps) or by
/// row tiles (equal nonzeros).
struct SparseSplit {
  int64_t parts = 1;
  bool byPositions = true;
};

inline SparseSplit splitSparse(const spcc_sparse_params &p, int32_t threads) {
  // Below this many multiply-adds per thread, starting threads costs more than it saves.
  constexpr int64_t minWorkPerThread = 1 << 16;
  // A nonzero costs its table reads whatever n is: at n = 1 (a classifier) the layer streams
  // its tables from memory, and a second core doubles the bandwidth (MobileNet V1's 1000x1024
  // at 90%: 0.105 ms on one thread, the same on two while this counted n multiply-adds).
  constexpr int64_t minPositionsPerNonzero = 16;
  int64_t work = p.tile_work_prefix[p.tile_count] * std::max(p.n, minPositionsPerNonzero);
  SparseSplit split;
  split.parts = std::clamp<int64_t>(work / minWorkPerThread, 1, resolveThreads(threads));
  int64_t steps = (p.n + p.n_step - 1) / p.n_step;
  split.byPositions = split.parts == 1 || steps >= 2 * split.parts;
  return split;
}

/// Positions of part \p part of \p parts: whole steps (the last range ends at n).
inline std::pair<int64_t, int64_t> positionRange(const spcc_sparse_params &p, int64_t part,
                                                 int64_t parts) {
  int64_t steps = (p.n + p.n_step - 1) / p.n_step;
  int64_t s0 = steps * part / parts, s1 = steps * (part + 1) / parts;
  return {s0 * p.n_step, std::min(p.n, s1 * p.n_step)};
}

/// Runs the task over everything, split over at most \p threads threads: by
/// positions when each thread gets at least two microkernel steps (equal work),
/// otherwise by row tiles with equal nonzero counts. Every task range then holds
/// at least one step (or all of n), which lets the generated code end a range
/// with a step that overlaps the previous one instead of a masked step; so C
/// must not alias B or the residual.
inline void runSparseTask(const spcc_sparse_params &p, const float *b, float *c,
                          const float *residual, float *out, int32_t threads) {
  SparseSplit split = splitSparse(p, threads);
  auto run = [&](int64_t n0, int64_t n1, int64_t t0, int64_t t1) {
    float *scratch = threadScratch(p.scratch_floats);
    spcc_sparse_task_args args = {b, c, residual, n0, n1, t0, t1, scratch, out};
    p.task(&args);
  };
  int64_t used = split.parts;
  if (split.byPositions) {
    parallelFor(used, int32_t(used), [&](int64_t w0, int64_t w1) {
      for (int64_t w = w0; w < w1; ++w) {
        auto [n0, n1] = positionRange(p, w, used);
        run(n0, n1, 0, p.tile_count);
      }
    });
    return;
  }
  const int64_t *prefix = p.tile_work_prefix;
  int64_t total = prefix[p.tile_count];
  parallelFor(used, int32_t(used), [&](int64_t w0, int64_t w1) {
    // Tiles whose work starts in [total * w0 / used, total * w1 / used).
    auto firstTile = [&](int64_t part) {
      int64_t target = total * part / used;
      return int64_t(std::lower_bound(prefix, prefix + p.tile_count, target) - prefix);
    };
    int64_t t0 = w0 == 0 ? 0 : firstTile(w0), t1 = w1 == used ? p.tile_count : firstTile(w1);
    if (t0 < t1) run(0, p.n, t0, t1);
  });
}

/// Plane rows [first, last) that positions [n0, n1) read: their own rows and the rows below
/// that the taps reach.
inline std::pair<int64_t, int64_t> planeRowsRead(const spcc_sparse_params &p, int64_t n0,
                                                 int64_t n1) {
  int64_t rowsBelow = (p.kernel_h - 1) / p.stride;
  if (p.c_layout == SPCC_SPARSE_C_DIRECT) // positions are outputs, each within its plane row
    return {n0 / p.out_w, std::min(p.plane_h, (n1 - 1) / p.out_w + rowsBelow + 1)};
  int64_t reach = rowsBelow * p.plane_w + (p.kernel_w - 1) / p.stride;
  return {n0 / p.plane_w, std::min(p.plane_h, (n1 - 1 + reach) / p.plane_w + 1)};
}

/// A convolution on several threads, each with its own copy of the phase planes (the
/// calling thread's scratch, sized for all of them): a thread fills the plane rows its
/// positions read and runs them. Nothing a thread writes is written by
/// another, so no cache line moves between cores while they work and nobody waits. With one
/// shared copy, the plane rows where two threads' ranges meet share cache lines in every
/// channel, and the threads, walking the channels in step, fought over them (a 64-channel
/// 28x28 fill took 2-5x longer on two threads than on one).
inline void runConvolutionByPositions(const spcc_sparse_params &p, const float *in,
                                      const float *residual, float *out, float *staged,
                                      int64_t parts) {
  const bool direct = p.c_layout == SPCC_SPARSE_C_DIRECT;
  // Whole cache lines: the packed blocks of B after the planes start on one, as the loop's
  // loads expect.
  int64_t planeFloats = sparseBFloats(p);
  parallelFor(parts, int32_t(parts), [&](int64_t w0, int64_t w1) {
    float *planes = threadScratch(planeFloats + p.scratch_floats);
    float *scratch = p.scratch_floats > 0 ? planes + planeFloats : nullptr;
    for (int64_t part = w0; part < w1; ++part) {
      auto [n0, n1] = positionRange(p, part, parts);
      if (n0 >= n1) continue;
      auto [row0, row1] = planeRowsRead(p, n0, n1);
      fillPhasePlaneRows(p, in, planes, 0, p.channels, row0, row1);
      spcc_sparse_task_args args = {planes,
                                    direct ? out : staged,
                                    direct ? residual : nullptr,
                                    n0,
                                    n1,
                                    0,
                                    p.tile_count,
                                    scratch,
                                    out};
      p.task(&args);
    }
  });
}

/// One sparse layer: \p in the activation, \p residual the epilogue's residual
/// (or null; a transposed C gets it added while it is transposed back, so the
/// generated code then must not apply an activation after it), \p out the result, \p workspace
/// sparseBFloats + sparseCFloats floats (64-byte aligned).
inline void runSparse(const spcc_sparse_params &p, const float *in, const float *residual,
                      float *out, float *workspace, int32_t threads) {
  const float *b = in;
  float *staged = workspace + sparseBFloats(p);
  // (A 1x1 strided convolution, whose planes are a quarter of its input, fills them shared.)
  if (p.b_layout == SPCC_SPARSE_B_PHASE_PLANES &&
      (p.c_layout == SPCC_SPARSE_C_COMPACT_ROWS || p.plane_w > p.out_w)) {
    SparseSplit split = splitSparse(p, threads);
    if (split.parts > 1 && split.byPositions)
      return runConvolutionByPositions(p, in, residual, out, staged, split.parts);
  }
  if (p.b_layout == SPCC_SPARSE_B_PHASE_PLANES) {
    fillPhasePlanes(p, in, workspace, threads);
    b = workspace;
  } else if (p.b_layout == SPCC_SPARSE_B_TRANSPOSED) {
    transposeInto(in, workspace, p.n, p.channels, threads);
    b = workspace;
  }
  float *c = p.c_layout == SPCC_SPARSE_C_DIRECT ? out : staged;
  runSparseTask(p, b, c, p.c_layout == SPCC_SPARSE_C_DIRECT ? residual : nullptr, out, threads);
  if (p.c_layout == SPCC_SPARSE_C_TRANSPOSED) {
    transposeInto(staged, out, p.m, p.n, threads, residual);
  }
}

/// runSparse over a convolution's p.images images. With two threads or more and at least as
/// many images, whole images run side by side, one thread each in a workspace of its own (a
/// layer split by positions fills its planes and halos on every thread, and narrow layers
/// barely split at all); images left over run one after another on all the threads.
inline void runSparseImages(const spcc_sparse_params &p, const float *in, const float *residual,
                            float *out, float *workspace, int32_t threads) {
  int64_t images = std::max<int64_t>(1, p.images);
  auto runImage = [&](int64_t image, float *imageWorkspace, int32_t imageThreads) {
    runSparse(p, in + image * p.image_in_floats,
              residual ? residual + image * p.image_out_floats : nullptr,
              out + image * p.image_out_floats, imageWorkspace, imageThreads);
  };
  int64_t workers = std::min<int64_t>(resolveThreads(threads), images);
  int64_t sideBySide = workers >= 2 ? images / workers * workers : 0;
  if (sideBySide > 0)
    parallelFor(sideBySide, int32_t(workers), [&](int64_t i0, int64_t i1) {
      float *own = threadWorkspace(p.workspace_floats);
      for (int64_t image = i0; image < i1; ++image) runImage(image, own, 1);
    });
  for (int64_t image = sideBySide; image < images; ++image) runImage(image, workspace, threads);
}

} // namespace spcc::kernels

#endif
