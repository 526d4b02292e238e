//===- TransformerKernels.h - GPU layer normalization and attention -------===//
//
// One thread per row: a layer norm's row of `size` features, an attention's (batch, query,
// head). Simple and correct first kernels; blocks that cooperate on a row (warp reductions,
// tiles of K and V in shared memory) are the faster design still to come.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_TRANSFORMERKERNELS_H
#define SPCC_BACKENDS_PTX_TRANSFORMERKERNELS_H

#include "backends/ptx/KernelFlavor.h"

#include <cstdint>
#include <vector>

namespace spcc::ptx {

/// Threads per block of the row kernels.
inline constexpr int kRowThreads = 64;

/// LayerNormalization over the last `size` elements of each of `rows` rows:
/// out = (x - mean) / sqrt(variance + epsilon) * scale + bias, scale and bias baked in.
struct LayerNormSpec {
  int64_t rows = 1, size = 1;
  float epsilon = 1e-5f;
  std::vector<float> scale; ///< size values
  std::vector<float> bias;  ///< size values, or none
};

/// Emits kernel \p name: parameters `ptr out, ptr x, ptr unused, i32 rows`.
llvm::Function *emitLayerNormKernel(llvm::Module &module, llvm::StringRef name,
                                    const LayerNormSpec &spec, KernelFlavor flavor);

/// FusedAttention: Q [B, Sq, H, D], K [B, Sk, H, D], V [B, Sk, H, Dv] give
/// O [B, Sq, H, Dv] = Softmax(scale * Q K^T + mask) V per batch and head; the mask (if any) is
/// read at b * maskStrides[0] + h * maskStrides[1] + query * maskStrides[2] + key * maskStrides[3].
struct AttentionSpec {
  int64_t batch = 1, queries = 1, keys = 1, heads = 1, depth = 1, valueDepth = 1;
  float scale = 1.0f;
  bool hasMask = false;
  int64_t maskStrides[4] = {0, 0, 0, 0};
};

/// Emits kernel \p name: parameters `ptr out, ptr q, ptr k, ptr v, ptr mask, i32 rows`
/// (rows = B * Sq * H).
llvm::Function *emitAttentionKernel(llvm::Module &module, llvm::StringRef name,
                                    const AttentionSpec &spec, KernelFlavor flavor);

} // namespace spcc::ptx

#endif
