/*===- SparseParams.h - How a model calls its generated sparse kernels -----===
 *
 * A sparse layer computes C[m x n] = A[m x k] * B[k x n] (+ epilogue), A the
 * layer's pruned weights baked into generated code (backends/x86/SpmmEmitter),
 * B and C activations with the n positions contiguous. The generated code is a
 * *task* over a range of positions and a range of row tiles; the kernel library's
 * spcc_kernel_sparse (SparseLaunch.h) prepares B and C from the node's tensors
 * (zero-padded input planes for a convolution, a transposed copy for a MatMul),
 * splits the work over the threads, calls the task, and writes the output.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SPCC_RUNTIME_SPARSEPARAMS_H
#define SPCC_RUNTIME_SPARSEPARAMS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What one call of a generated task computes: positions [n_begin, n_end) of
 * the rows of C in row tiles [tile_begin, tile_end). Row r of B starts at a
 * compile-time offset from `b`; row i of C at `c + i * ldc`, and of the
 * residual (NULL when the epilogue has none) at `residual + i * ldc`.
 * `scratch` is the calling thread's own 64-byte aligned buffer of the layer's
 * scratch_floats floats (NULL when that is 0): blocks of B packed there.
 * `out` is the [m, out_h, out_w] output of a SPCC_SPARSE_C_COMPACT_ROWS layer,
 * which the task stores finished rows to (C then holds partial sums only). */
typedef struct {
  const float *b;
  float *c;
  const float *residual;
  int64_t n_begin, n_end;
  int64_t tile_begin, tile_end;
  float *scratch;
  float *out;
} spcc_sparse_task_args;

typedef void (*spcc_sparse_task_fn)(const spcc_sparse_task_args *args);

/** Where B comes from. */
typedef enum {
  /** B is in[0] itself, rows at the task's offsets (a 1x1 convolution). */
  SPCC_SPARSE_B_DIRECT = 0,
  /** B is in[0] ([channels, in_h, in_w]) zero-padded and split into
   * stride x stride phase planes of plane_h x plane_w in the workspace:
   * plane (py, px) holds padded pixel (stride * y + py, stride * x + px).
   * At stride 1 a row may end before its right padding (plane_w < padded
   * width): a tap past its end reads the next row's left padding, and a zero
   * row more below serves the last row. With C direct, position y * out_w + x
   * reads plane row y from column x (rows wider than the output's, plane_w >=
   * out_w; a 1x1 strided convolution's are as wide). */
  SPCC_SPARSE_B_PHASE_PLANES = 1,
  /** B is in[0] ([rows, channels], a MatMul's activations) transposed into the
   * workspace: [channels, rows]. */
  SPCC_SPARSE_B_TRANSPOSED = 2
} spcc_sparse_b_layout;

/** Where C goes. */
typedef enum {
  /** C is out[0] itself ([m, n]). */
  SPCC_SPARSE_C_DIRECT = 0,
  /** C is computed over rows of plane_w positions of which the first out_w
   * are kept: the task stores those to out[0] ([m, out_h, out_w]), partial
   * sums between reduction blocks go to the workspace. */
  SPCC_SPARSE_C_COMPACT_ROWS = 1,
  /** C is computed in the workspace and transposed into out[0] ([n, m]). */
  SPCC_SPARSE_C_TRANSPOSED = 2
} spcc_sparse_c_layout;

/** spcc_kernel_sparse: one generated sparse layer. in[0] is the activation,
 * in[1] the residual (or NULL); out[0] the result, out[1] the workspace when
 * workspace_floats > 0. */
typedef struct {
  spcc_sparse_task_fn task;
  /** tile_count + 1 entries: the work (nonzeros) before each row tile, used to
   * give threads equal work when they split tiles. */
  const int64_t *tile_work_prefix;
  int64_t tile_count;
  int64_t m, n;   /* rows and positions of C */
  int64_t ldc;    /* distance between rows of C, in elements */
  int64_t n_step; /* positions per microkernel step; n splits are multiples */
  int32_t b_layout, c_layout;
  /* SPCC_SPARSE_B_PHASE_PLANES / SPCC_SPARSE_C_COMPACT_ROWS geometry. */
  int64_t channels, in_h, in_w, pad_top, pad_left, stride, plane_h, plane_w;
  int64_t kernel_h, kernel_w; /* phase planes past the kernel are not filled */
  int64_t out_h, out_w;
  /* SPCC_SPARSE_B_TRANSPOSED / SPCC_SPARSE_C_TRANSPOSED: in[0] is [n, channels]. */
  int64_t workspace_floats;
  /* Floats of scratch each task call needs for itself (see spcc_sparse_task_args). */
  int64_t scratch_floats;
  /* A convolution over a batch: the layer runs once per image (0 or 1: one image), in[0]
   * advancing image_in_floats floats per image, out[0] and the residual image_out_floats. */
  int64_t images, image_in_floats, image_out_floats;
} spcc_sparse_params;

#ifdef __cplusplus
}
#endif

#endif /* SPCC_RUNTIME_SPARSEPARAMS_H */
