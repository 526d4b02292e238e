//===- ModuleData.h - Kernel arrays carried beside the code, not in it ----===//
//
// The kernels' read-only arrays in global memory (CSR values and columns, embedding tables,
// dense convolution weights, layer norm scales) are initialized globals when emitted. Printed
// into PTX they become decimal text, and ptxas copies them again into the cubin: several
// bytes of file per byte of data, and most of the time of code generation for large models.
// Detached here, each becomes an uninitialized global of the module and a raw byte array of
// the model file (spcc_abi_gpu_data), which the loader copies into it once at load.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_PTX_MODULEDATA_H
#define SPCC_BACKENDS_PTX_MODULEDATA_H

#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

#include <string>
#include <vector>

namespace spcc::ptx {

/// One array taken out of a module: its global (now zero-initialized, writable, with external
/// linkage under `name`) and the bytes the loader puts back.
struct DetachedData {
  std::string name;
  std::vector<char> bytes;
  llvm::GlobalVariable *global = nullptr;
};

/// Arrays smaller than this stay in the code.
inline constexpr uint64_t kDetachMinBytes = 256;

/// Detaches every read-only array in global memory of \p module of at least kDetachMinBytes.
/// With \p invariantLoads, the loads that read them are marked invariant, so NVPTX still reads
/// them through the read-only path (ld.global.nc) although the globals are no longer constant.
std::vector<DetachedData> detachModuleData(llvm::Module &module, bool invariantLoads);

} // namespace spcc::ptx

#endif
