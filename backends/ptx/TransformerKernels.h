//===- TransformerKernels.h - GPU layer normalization and attention -------===//
//
// Each op is a few launches of one thread per output element, so that a GPU's thousands of
// threads share the work: one thread per row (the first design) left BERT-base's attention
// 1,536 threads and its layer norms 128, on a GPU that keeps over 100,000 resident. Values a
// row's threads all need (a layer norm's chunk statistics, attention's scores) go through a
// scratch buffer in the device arena between launches. Blocks that cooperate on a row (warp
// reductions, tiles of K and V in shared memory) are the faster design still to come.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_TRANSFORMERKERNELS_H
#define SPCC_BACKENDS_PTX_TRANSFORMERKERNELS_H

#include "backends/ptx/KernelFlavor.h"

#include <cstdint>
#include <vector>

namespace spcc::ptx {

/// Threads per block of the row kernels (a softmax row each).
inline constexpr int kRowThreads = 64;
/// Threads per block of the kernels of one thread per element.
inline constexpr int kTransformerThreads = 256;

/// LayerNormalization over the last `size` elements of each of `rows` rows:
/// out = (x - mean) / sqrt(variance + epsilon) * scale + bias, scale and bias baked in.
struct LayerNormSpec {
  int64_t rows = 1, size = 1;
  float epsilon = 1e-5f;
  std::vector<float> scale; ///< size values
  std::vector<float> bias;  ///< size values, or none

  /// Elements of a row each statistics thread reduces (the last chunk may be shorter).
  static constexpr int64_t kChunk = 32;
  int64_t chunks() const { return (size + kChunk - 1) / kChunk; }
};

/// Emits kernel \p name, one thread per (row, chunk of kChunk elements): the chunk's mean and
/// sum of squared deviations, two floats at partials[(row * chunks + chunk) * 2].
/// Parameters `ptr partials, ptr x, i32 count` (count = rows * chunks).
llvm::Function *emitLayerNormStatisticsKernel(llvm::Module &module, llvm::StringRef name,
                                              const LayerNormSpec &spec, KernelFlavor flavor);

/// Emits kernel \p name, one thread per element: combines its row's chunk statistics (Chan's
/// pairwise update, as stable as two passes) and normalizes. Parameters
/// `ptr out, ptr x, ptr partials, i32 count` (count = rows * size).
llvm::Function *emitLayerNormKernel(llvm::Module &module, llvm::StringRef name,
                                    const LayerNormSpec &spec, KernelFlavor flavor);

/// FusedAttention: Q [B, Sq, H, D], K [B, Sk, H, D], V [B, Sk, H, Dv] give
/// O [B, Sq, H, Dv] = Softmax(scale * Q K^T + mask) V per batch and head; the mask (if any) is
/// read at b * maskStrides[0] + h * maskStrides[1] + query * maskStrides[2] + key * maskStrides[3].
/// Three launches over a scores buffer S [B, H, Sq, Sk]: scores, softmax of S's rows, values.
struct AttentionSpec {
  int64_t batch = 1, queries = 1, keys = 1, heads = 1, depth = 1, valueDepth = 1;
  float scale = 1.0f;
  bool hasMask = false;
  int64_t maskStrides[4] = {0, 0, 0, 0};

  int64_t scoreCount() const { return batch * heads * queries * keys; }
  int64_t outputCount() const { return batch * queries * heads * valueDepth; }
};

/// Emits kernel \p name, one thread per score: S[b, h, q, j] = scale * Q[b, q, h] . K[b, j, h]
/// (+ mask). Parameters `ptr scores, ptr q, ptr k, ptr mask, i32 count` (count = scoreCount()).
llvm::Function *emitAttentionScoresKernel(llvm::Module &module, llvm::StringRef name,
                                          const AttentionSpec &spec, KernelFlavor flavor);

/// Emits kernel \p name, one thread per row of \p length floats: the row's softmax, in place.
/// Parameters `ptr rows, i32 count` (count = the number of rows).
llvm::Function *emitSoftmaxRowsKernel(llvm::Module &module, llvm::StringRef name, int64_t length,
                                      KernelFlavor flavor);

/// Emits kernel \p name, one thread per output element: O[b, q, h, d] = sum over j of
/// S[b, h, q, j] * V[b, j, h, d]. Parameters `ptr out, ptr scores, ptr v, i32 count`
/// (count = outputCount()).
llvm::Function *emitAttentionValuesKernel(llvm::Module &module, llvm::StringRef name,
                                          const AttentionSpec &spec, KernelFlavor flavor);

} // namespace spcc::ptx

#endif
