//===- AbiConstants.h - The model descriptor's tables as LLVM constants ---===//
//
// What every target writes into a model .so for the runtime (runtime/ModelAbi.h): strings and
// the input / output tensor tables of the descriptor, as private constant globals.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_COMMON_ABICONSTANTS_H
#define SPCC_BACKENDS_COMMON_ABICONSTANTS_H

#include "compiler/ir/Graph.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

#include <string>
#include <utility>

namespace spcc {

/// The spcc_dtype value of \p dtype.
int32_t abiDType(DType dtype);

/// A private constant global holding the NUL-terminated \p text.
llvm::GlobalVariable *emitStringGlobal(llvm::Module &module, const llvm::Twine &name,
                                       llvm::StringRef text);

/// The spcc_abi_tensor array describing \p tensors ((name, value) pairs of \p graph; a batched
/// graph tensor's dim 0 becomes -1), or a null pointer when there are none. \p kind
/// ("inputs" / "outputs") names the globals.
llvm::Constant *emitTensorTable(llvm::Module &module, const Graph &graph, llvm::StringRef kind,
                                llvm::ArrayRef<std::pair<std::string, const Value *>> tensors);

} // namespace spcc

#endif
