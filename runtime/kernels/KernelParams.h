/*===- KernelParams.h - Parameters of the dense kernels --------------------===
 *
 * One plain C struct per kernel family. The compiler
 *(backends/common/KernelLowering) fills them from a node's attributes and types
 *and emits their bytes as 8-byte aligned constant data; the kernels
 *(runtime/kernels) read them. Only int32_t / int64_t / float fields and fixed
 *arrays, laid out without implicit padding, so both sides agree on every byte.
 *
 * Conventions shared by every kernel:
 * - `in[i]` is the node's input i (NULL for an omitted optional input),
 *`out[i]` its output i; a kernel with a workspace (KernelCall::workspaceBytes >
 *0) finds it right after the node's outputs, in `out[numOutputs]`, 64-byte
 *aligned.
 * - Counts, dims and strides are in elements unless the name ends in `_bytes`.
 * - Tensors are dense row-major; strides describe how a kernel walks an input
 *(0 broadcasts).
 * - Element types use spcc_kernel_dtype, which lists spcc's DType in the same
 *order.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SPCC_RUNTIME_KERNELPARAMS_H
#define SPCC_RUNTIME_KERNELPARAMS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The most axes a strided kernel walks (after merging contiguous axes). */
#define SPCC_KERNEL_MAX_RANK 8
/** The most inputs of a Concat and outputs of a Split. */
#define SPCC_KERNEL_MAX_PARTS 64

/** Element types, in the order of spcc::DType. Bool is one byte, 0 or 1. */
typedef enum {
  SPCC_KDT_F32 = 0,
  SPCC_KDT_F16 = 1,
  SPCC_KDT_I64 = 2,
  SPCC_KDT_I32 = 3,
  SPCC_KDT_I8 = 4,
  SPCC_KDT_U8 = 5,
  SPCC_KDT_BOOL = 6
} spcc_kernel_dtype;

/** Operations of spcc_kernel_unary: SPCC_UNARY_RELU = 0, ... in the order of UnaryOps.def. */
typedef enum {
#define SPCC_UNARY_OP(Op, CODE, ...) SPCC_UNARY_##CODE,
#include "runtime/kernels/UnaryOps.def"
  SPCC_UNARY_OP_COUNT
} spcc_unary_op;

/** spcc_kernel_unary: out[0][i] = op(in[0][i]) for i < count. Float32 for every
 * op; Neg also on i64 / i32 / i8, Clip also on i64 / i32. Clip's bounds:
 * `min_from_input` (resp. `max_from_input`) set means read the scalar in[1]
 * (resp. in[2]) at run time; otherwise use alpha / beta (float) or int_min /
 * int_max (integers), which the compiler sets to the type's limits for an
 * omitted bound. */
typedef struct {
  int64_t count;
  int32_t op;    /* spcc_unary_op */
  int32_t dtype; /* spcc_kernel_dtype of input and output */
  float alpha;
  float beta;
  int32_t min_from_input;
  int32_t max_from_input;
  int64_t int_min;
  int64_t int_max;
} spcc_unary_params;

/** Binary elementwise operations of spcc_kernel_binary. */
typedef enum {
  SPCC_BINARY_ADD = 0,
  SPCC_BINARY_SUB = 1,
  SPCC_BINARY_MUL = 2,
  SPCC_BINARY_DIV = 3,   /* integer division by zero gives 0 */
  SPCC_BINARY_POW = 4,   /* float32 base; exponent f32, i64 or i32 (b_dtype) */
  SPCC_BINARY_EQUAL = 5, /* bool output */
  SPCC_BINARY_GREATER = 6,
  SPCC_BINARY_LESS = 7,
  SPCC_BINARY_GREATER_OR_EQUAL = 8,
  SPCC_BINARY_LESS_OR_EQUAL = 9, /* comparisons: bool output */
  SPCC_BINARY_MAX = 10,
  SPCC_BINARY_MIN = 11,  /* a NaN operand gives NaN */
  SPCC_BINARY_MOD = 12,  /* integers: remainder with the divisor's sign (Mod fmod=0) */
  SPCC_BINARY_FMOD = 13, /* remainder with the dividend's sign (C's fmod and %) */
  SPCC_BINARY_AND = 14,
  SPCC_BINARY_OR = 15,
  SPCC_BINARY_XOR = 16,  /* bool inputs and output */
  SPCC_BINARY_PRELU = 17 /* float32: a < 0 ? a * b : a */
} spcc_binary_op;

/** spcc_kernel_binary: out[0] of dims `dims[0..rank)` (row-major), element at
 * index i reads in[0] at sum(i[d] * a_strides[d]) and in[1] at sum(i[d] *
 * b_strides[d]). Axes are merged by the compiler where possible; rank >= 1 (a
 * scalar is dims {1}). */
typedef struct {
  int32_t op;      /* spcc_binary_op */
  int32_t dtype;   /* spcc_kernel_dtype of in[0] (and of in[1] except for Pow) */
  int32_t b_dtype; /* spcc_kernel_dtype of in[1] */
  int32_t rank;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
  int64_t a_strides[SPCC_KERNEL_MAX_RANK];
  int64_t b_strides[SPCC_KERNEL_MAX_RANK];
} spcc_binary_params;

/** spcc_kernel_where: out[0][i] = in[0][ic] ? in[1][ix] : in[2][iy], each index
 * walking its strides over dims (as spcc_binary_params). Elements of
 * `elem_size` bytes. */
typedef struct {
  int32_t rank;
  int32_t elem_size;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
  int64_t cond_strides[SPCC_KERNEL_MAX_RANK];
  int64_t x_strides[SPCC_KERNEL_MAX_RANK];
  int64_t y_strides[SPCC_KERNEL_MAX_RANK];
} spcc_where_params;

/** spcc_kernel_cast: out[0][i] = (to) in[0][i]; to Bool gives x != 0. No
 * float16. */
typedef struct {
  int64_t count;
  int32_t from; /* spcc_kernel_dtype */
  int32_t to;   /* spcc_kernel_dtype */
} spcc_cast_params;

/** spcc_kernel_predicate: bool out[0][i] = a test of in[0][i]: Not of a bool, IsNaN or IsInf
 * (of the signs asked for) of a float32. */
typedef enum {
  SPCC_PREDICATE_NOT = 0,
  SPCC_PREDICATE_IS_NAN = 1,
  SPCC_PREDICATE_IS_INF = 2
} spcc_predicate_op;
typedef struct {
  int64_t count;
  int32_t op; /* spcc_predicate_op */
  int32_t detect_negative, detect_positive;
} spcc_predicate_params;

/** spcc_kernel_matmul: float32 C[b] (m x n) = A[ia(b)] (m x k) * B[ib(b)] (k x
 * n), all row-major, for each of the batches enumerated by batch_dims
 * (row-major; batch_rank 0 is one matrix). ia(b) = sum(b[d] *
 * a_batch_strides[d]) in elements (0 broadcasts), likewise ib. Then, as
 * FusedMatMul: the bias in[2] ([n], when has_bias) and the residual in[3] (C's
 * shape, when has_residual) are added and post_op applied. */
typedef struct {
  int64_t m, n, k;
  int32_t batch_rank;
  int32_t has_bias;
  int64_t batch_dims[SPCC_KERNEL_MAX_RANK];
  int64_t a_batch_strides[SPCC_KERNEL_MAX_RANK];
  int64_t b_batch_strides[SPCC_KERNEL_MAX_RANK];
  int32_t has_residual;
  int32_t post_op; /* spcc_post_op */
  float post_min, post_max;
} spcc_matmul_params;

/** spcc_kernel_gemm: float32 Y (m x n) = alpha * op(A) * op(B) + beta * C, op
 * transposing when trans_a / trans_b (A stored k x m, B stored n x k). C
 * (in[2], when has_c) element (i, j) is at i * c_stride_m + j * c_stride_n (0
 * strides broadcast). */
typedef struct {
  int64_t m, n, k;
  int32_t trans_a, trans_b;
  float alpha, beta;
  int32_t has_c;
  int32_t reserved;
  int64_t c_stride_m, c_stride_n;
} spcc_gemm_params;

/** Activations a kernel may apply to its result before storing it: spcc::FusedActivation::Kind
 * (compiler/ops/FusedEpilogue.h) in C, pinned by static_asserts in the lowering. */
typedef enum {
  SPCC_POST_NONE = 0,
  SPCC_POST_RELU = 1,
  SPCC_POST_CLIP = 2, /* clamp to [post_min, post_max] */
  SPCC_POST_GELU = 3  /* 0.5 x (1 + erf(x / sqrt 2)); matmul only */
} spcc_post_op;

/** spcc_kernel_conv: float32 convolution over 1 to 3 spatial axes, widened to 3
 * (leading unit axes: extent 1, kernel 1, stride 1, dilation 1, no padding). X
 * (in[0]) is [n, cin, in[0], in[1], in[2]], W (in[1]) [cout, cin / group,
 * kernel...], bias in[2] (when has_bias) [cout], Y [n, cout, out...]. The
 * workspace (im2col columns) holds workspace_bytes; 0 when the kernel needs
 * none (1x1 unstrided unpadded, depthwise). */
typedef struct {
  int64_t n, cin, cout, group;
  int64_t in[3], out[3], kernel[3], stride[3], dilation[3], pad_begin[3];
  int32_t has_bias;
  int32_t post_op; /* spcc_post_op, applied after the residual */
  float post_min, post_max;
  int32_t has_residual; /* in[3], Y's shape, added before post_op (FusedConv) */
  int32_t reserved;
  int64_t workspace_bytes;
} spcc_conv_params;

/** spcc_kernel_max_pool / spcc_kernel_average_pool: float32 windows over
 * `planes` planes (n * c) of spatial extent in[] (3 axes, widened as for Conv).
 * Average divides by the taps inside the input, or inside the padded input when
 * count_include_pad. */
typedef struct {
  int64_t planes;
  int64_t in[3], out[3], kernel[3], stride[3], dilation[3], pad_begin[3], pad_end[3];
  int32_t count_include_pad;
  int32_t reserved;
} spcc_pool_params;

/** spcc_kernel_global_average_pool: out[p] = mean of in[p * plane_size ...] for
 * p < planes. */
typedef struct {
  int64_t planes;
  int64_t plane_size;
} spcc_global_pool_params;

/** spcc_kernel_batch_norm: Y = (X - mean) / sqrt(var + epsilon) * scale + B per
 * channel, X [n, c, spatial]; scale, B, mean, var are in[1..4], each [c]. */
typedef struct {
  int64_t n, c, spatial;
  float epsilon;
  int32_t reserved;
} spcc_batch_norm_params;

/** spcc_kernel_layer_norm: each of `rows` rows of `size` elements normalized,
 * times Scale (in[1]) element j % scale_period, plus B (in[2], when has_bias)
 * element j % bias_period. Optional outputs (when num_outputs > 1): Mean and
 * InvStdDev, one per row. X (input_feature_major) and Y (output_feature_major)
 * may each be stored feature-major: transposed, [size, rows]. */
typedef struct {
  int64_t rows, size;
  int64_t scale_period, bias_period;
  float epsilon;
  int32_t has_bias;
  int32_t num_outputs;
  int32_t input_feature_major;
  int32_t output_feature_major;
  int32_t reserved;
} spcc_layer_norm_params;

/** spcc_kernel_attention: FusedAttention. Q in[0] [batch, q_len, heads,
 * head_dim], K in[1] [batch, kv_len, heads, head_dim], V in[2] [batch, kv_len,
 * heads, value_dim], out[0] [batch, q_len, heads, value_dim]; the mask in[3]
 * (when has_mask) at mask_strides (elements, 0 broadcasts) over [batch, heads,
 * q_len, kv_len] is added to the scaled scores before the softmax. With
 * feature_major, Q, K, V and the output are stored transposed: [heads * dim,
 * batch * len]. */
typedef struct {
  int64_t batch, heads, q_len, kv_len, head_dim, value_dim;
  int64_t mask_strides[4];
  float scale;
  int32_t has_mask;
  int32_t feature_major;
  int32_t reserved;
} spcc_attention_params;

/** spcc_kernel_softmax: X viewed as [outer, axis, inner], softmax (or
 * log-softmax when is_log) along the middle axis. */
typedef struct {
  int64_t outer, axis, inner;
  int32_t is_log;
  int32_t reserved;
} spcc_softmax_params;

/** spcc_kernel_instance_norm: float32 out[0] = each of `planes` planes of `plane_size`
 * elements of in[0] normalized by its mean and variance (+ epsilon), times in[1][p % channels]
 * plus in[2][p % channels]. */
typedef struct {
  int64_t planes, channels, plane_size;
  float epsilon;
} spcc_instance_norm_params;

/** spcc_kernel_lrn: float32 out[0] = x / (bias + alpha / size * sum of x^2 over channels
 * [c - (size - 1) / 2, c + size / 2])^beta, for x of dims n x channels x plane. */
typedef struct {
  int64_t n, channels, plane;
  int64_t size;
  float alpha, beta, bias;
} spcc_lrn_params;

/** spcc_kernel_gather_elements: out[0] (dims, row-major) element at index i reads in[0] at
 * sum(i[d] * data_strides[d]) with i[axis] replaced by in[1][i] (int64 or int32, index_dtype;
 * negative counts from the end). An index outside [-axis_dim, axis_dim) gives zero and the
 * call returns SPCC_KERNEL_INDEX_OUT_OF_RANGE. Elements of elem_size bytes. */
typedef struct {
  int32_t rank, axis;
  int32_t elem_size;
  int32_t index_dtype;
  int64_t axis_dim;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
  int64_t data_strides[SPCC_KERNEL_MAX_RANK];
} spcc_gather_elements_params;

/** How spcc_kernel_scatter_nd and spcc_kernel_scatter_elements combine an update with the
 * element it lands on (ONNX's `reduction`). */
typedef enum {
  SPCC_SCATTER_NONE = 0, /* replace */
  SPCC_SCATTER_ADD = 1,
  SPCC_SCATTER_MUL = 2,
  SPCC_SCATTER_MAX = 3,
  SPCC_SCATTER_MIN = 4
} spcc_scatter_reduction;

/** spcc_kernel_scatter_nd: out[0] = in[0] (data: `dims[0..index_rank)` then slices of
 * slice_elems elements) with the num_updates slices of in[2] (updates) applied in order: slice u
 * lands on the slice addressed by in[1][u * index_rank ...] (int64 coordinates, negative counted
 * from the end) and is combined by `reduction` (spcc_scatter_reduction); a duplicate index with
 * SPCC_SCATTER_NONE keeps the last update. An update whose index lies outside its axis is skipped
 * and the call returns SPCC_KERNEL_INDEX_OUT_OF_RANGE. Elements of elem_size bytes; `dtype`
 * (spcc_kernel_dtype: f32, i64 or i32) matters for the reductions only. */
typedef struct {
  int32_t index_rank;
  int32_t reduction;
  int32_t dtype;
  int32_t elem_size;
  int64_t num_updates;
  int64_t slice_elems;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
} spcc_scatter_nd_params;

/** spcc_kernel_scatter_elements: out[0] = in[0] (data, data_elems elements, data_strides) with
 * the elements of in[2] (updates, row-major `dims`, the dims of in[1]) applied in order: the
 * update at position p lands on data at p with p[axis] replaced by in[1][p] (int64 or int32,
 * index_dtype; negative counted from the end), combined by `reduction` as in scatter_nd. An
 * index outside [-axis_dim, axis_dim) is skipped and the call returns
 * SPCC_KERNEL_INDEX_OUT_OF_RANGE. */
typedef struct {
  int32_t rank, axis;
  int32_t reduction;
  int32_t dtype;
  int32_t elem_size;
  int32_t index_dtype;
  int64_t axis_dim;
  int64_t data_elems;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
  int64_t data_strides[SPCC_KERNEL_MAX_RANK];
} spcc_scatter_elements_params;

/** spcc_kernel_gather_nd: out[0] holds batches * tuples slices of slice_elems elements: slice
 * t copies in[0] (data) at (t / tuples) * batch_stride + sum(i_j * strides[j]), i_j being the
 * index_rank int64 coordinates in[1][t * index_rank ...] (negative counted from the end) within
 * dims[j]. An index outside its axis gives a zero slice and the call returns
 * SPCC_KERNEL_INDEX_OUT_OF_RANGE. Elements of elem_size bytes. */
typedef struct {
  int32_t index_rank;
  int32_t elem_size;
  int64_t batches, tuples;
  int64_t batch_stride;
  int64_t slice_elems;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
  int64_t strides[SPCC_KERNEL_MAX_RANK];
} spcc_gather_nd_params;

/** spcc_kernel_one_hot: out[0] [outer, depth, inner] = in[2][1] (on) where the coordinate d
 * equals in[0][o, i] (indices: f32, i64 or i32, index_dtype; floats truncated, negative counted
 * from the end), in[2][0] (off) elsewhere, and off for an index outside [-depth, depth).
 * Elements of out[0] and in[2] have elem_size bytes. */
typedef struct {
  int64_t outer, depth, inner;
  int32_t index_dtype;
  int32_t elem_size;
} spcc_one_hot_params;

/** spcc_kernel_trilu: out[0] = in[0] on the upper (upper = 1: col - row >= k) or lower
 * (col - row <= k) triangle of each of `matrices` rows x cols matrices, zero elsewhere;
 * elements of elem_size bytes. */
typedef struct {
  int64_t matrices, rows, cols, k;
  int32_t upper;
  int32_t elem_size;
} spcc_trilu_params;

/** spcc_kernel_resize: float32 out[0] (out_dims) interpolated from in[0] (in_dims) axis by
 * axis, as ONNX's Resize: each output coordinate x maps to an input coordinate (coordinates,
 * dividing by scales[d]), whose 1 (nearest), 2 (linear) or 4 (cubic) neighbours, clamped into
 * the axis, are weighted. out[1] is a workspace for the per-axis neighbour tables. */
typedef enum {
  SPCC_RESIZE_NEAREST = 0,
  SPCC_RESIZE_LINEAR = 1,
  SPCC_RESIZE_CUBIC = 2
} spcc_resize_mode;
typedef enum {
  SPCC_RESIZE_HALF_PIXEL = 0,
  SPCC_RESIZE_HALF_PIXEL_SYMMETRIC = 1,
  SPCC_RESIZE_PYTORCH_HALF_PIXEL = 2,
  SPCC_RESIZE_ALIGN_CORNERS = 3,
  SPCC_RESIZE_ASYMMETRIC = 4
} spcc_resize_coordinates;
typedef enum {
  SPCC_RESIZE_ROUND_PREFER_FLOOR = 0,
  SPCC_RESIZE_ROUND_PREFER_CEIL = 1,
  SPCC_RESIZE_FLOOR = 2,
  SPCC_RESIZE_CEIL = 3
} spcc_resize_nearest;
typedef struct {
  int32_t rank;
  int32_t mode;         /* spcc_resize_mode */
  int32_t coordinates;  /* spcc_resize_coordinates */
  int32_t nearest_mode; /* spcc_resize_nearest */
  int32_t exclude_outside;
  float cubic_coeff_a;
  int64_t in_dims[SPCC_KERNEL_MAX_RANK];
  int64_t out_dims[SPCC_KERNEL_MAX_RANK];
  double scales[SPCC_KERNEL_MAX_RANK];
} spcc_resize_params;

/** spcc_kernel_arg_reduce: int64 out[0][o, i] = the index along the axis of the largest
 * (is_max) or smallest element of in[0][o, :, i] (dims outer x axis_dim x inner), the first
 * such index or the last (select_last_index); a NaN counts as beyond every number, the first
 * NaN winning, as numpy's argmax / argmin. */
typedef struct {
  int64_t outer, axis_dim, inner;
  int32_t is_max;
  int32_t select_last_index;
  int32_t dtype;   /* spcc_kernel_dtype: f32, i64 or i32 */
  int32_t one_hot; /* Hardmax: float32 out[0] of in[0]'s dims, 1 at the index and 0 elsewhere */
} spcc_arg_reduce_params;

/** spcc_kernel_top_k: out[0][o, :k, i] = the k largest (or smallest) elements of
 * in[0][o, :, i] (dims outer x axis_dim x inner, dtype f32, i64 or i32), sorted, and int64
 * out[1] their indices; a NaN ranks beyond every number, equal values by index, lower first. */
typedef struct {
  int64_t outer, axis_dim, inner, k;
  int32_t largest;
  int32_t dtype; /* spcc_kernel_dtype */
} spcc_top_k_params;

/** spcc_kernel_cumsum: out[0][o, k, i] = the sum of in[0][o, j, i] over j <= k (j < k when
 * exclusive; j >= k / j > k when reverse), for dims outer x axis_dim x inner of dtype f32
 * (summed in double), i64 or i32. */
typedef struct {
  int64_t outer, axis_dim, inner;
  int32_t exclusive, reverse;
  int32_t dtype;
} spcc_cumsum_params;

/** Reductions of spcc_kernel_reduce, one per ONNX Reduce* operator. */
typedef enum {
  SPCC_REDUCE_SUM = 0,
  SPCC_REDUCE_MEAN = 1,
  SPCC_REDUCE_MAX = 2, /* a NaN gives NaN; an empty reduction the type's lowest value */
  SPCC_REDUCE_MIN = 3,
  SPCC_REDUCE_PROD = 4,
  SPCC_REDUCE_L1 = 5,
  SPCC_REDUCE_L2 = 6,
  SPCC_REDUCE_SUM_SQUARE = 7,
  SPCC_REDUCE_LOG_SUM = 8,
  SPCC_REDUCE_LOG_SUM_EXP = 9
} spcc_reduce_op;

/** spcc_kernel_reduce: a reduction of X (dtype f32, i64 or i32; only sum, mean, max, min,
 * prod, l1 and sum-square take integers). The output element with kept index o (dims
 * kept_dims, row-major) reduces the elements at sum(o[d] * kept_strides[d]) +
 * sum(r[d] * reduced_strides[d]) over r in reduced_dims. count is the number of reduced
 * elements (the divisor of a mean). */
typedef struct {
  int32_t kept_rank, reduced_rank;
  int32_t op; /* spcc_reduce_op */
  int32_t dtype;
  int64_t count;
  int64_t kept_dims[SPCC_KERNEL_MAX_RANK];
  int64_t kept_strides[SPCC_KERNEL_MAX_RANK];
  int64_t reduced_dims[SPCC_KERNEL_MAX_RANK];
  int64_t reduced_strides[SPCC_KERNEL_MAX_RANK];
} spcc_reduce_params;

/** spcc_kernel_strided_copy (Transpose, Slice, Expand): out[0] element with
 * index i (dims, row-major) = in[0] element at offset + sum(i[d] * strides[d]);
 * strides may be negative (reversed slices) or 0 (broadcast). Elements of
 * elem_size bytes. */
typedef struct {
  int32_t rank;
  int32_t elem_size;
  int64_t offset;
  int64_t dims[SPCC_KERNEL_MAX_RANK];
  int64_t strides[SPCC_KERNEL_MAX_RANK];
} spcc_strided_copy_params;

/** spcc_kernel_concat: out[0] is `outer` rows; each row is the row of in[0],
 * then of in[1],
 *  ...: part i contributes part_bytes[i] bytes per row. spcc_kernel_split is
 * the inverse: in[0] rows cut into out[0], out[1], ... */
typedef struct {
  int64_t outer;
  int32_t num_parts;
  int32_t reserved;
  int64_t part_bytes[SPCC_KERNEL_MAX_PARTS];
} spcc_concat_params;

/** spcc_kernel_gather: data (in[0]) viewed as [outer, axis_dim, inner_bytes];
 * out[0] is [outer, num_indices, inner_bytes] with indices in[1] (index_dtype
 * i64 or i32; negative counts from the end; out of range gives zeros). */
typedef struct {
  int64_t outer, axis_dim, num_indices, inner_bytes;
  int32_t index_dtype;
  int32_t reserved;
} spcc_gather_params;

/** Pad modes of spcc_kernel_pad. */
typedef enum { SPCC_PAD_CONSTANT = 0, SPCC_PAD_REFLECT = 1, SPCC_PAD_EDGE = 2 } spcc_pad_mode;

/** spcc_kernel_pad: out[0] (out_dims) from in[0] (in_dims), out index o reading
 * input index o - pads_begin (pads may be negative). Outside the input: mode's
 * rule; for constant mode the scalar in[2] when has_value, else zero. */
typedef struct {
  int32_t rank;
  int32_t elem_size;
  int32_t mode; /* spcc_pad_mode */
  int32_t has_value;
  int64_t in_dims[SPCC_KERNEL_MAX_RANK];
  int64_t out_dims[SPCC_KERNEL_MAX_RANK];
  int64_t pads_begin[SPCC_KERNEL_MAX_RANK];
} spcc_pad_params;

#ifdef __cplusplus
}
#endif

#endif /* SPCC_RUNTIME_KERNELPARAMS_H */
