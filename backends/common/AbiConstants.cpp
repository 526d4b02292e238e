//===- AbiConstants.cpp - The model descriptor's tables as LLVM constants -===//
#include "backends/common/AbiConstants.h"

#include "runtime/include/spcc/spcc.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/ErrorHandling.h"

namespace spcc {

int32_t abiDType(DType dtype) {
  switch (dtype) {
  case DType::Float32: return SPCC_FLOAT32;
  case DType::Int64: return SPCC_INT64;
  case DType::Int32: return SPCC_INT32;
  case DType::Bool: return SPCC_BOOL;
  case DType::Float16: return SPCC_FLOAT16;
  case DType::Int8: return SPCC_INT8;
  case DType::UInt8: return SPCC_UINT8;
  }
  llvm_unreachable("unknown dtype");
}

llvm::GlobalVariable *emitStringGlobal(llvm::Module &module, const llvm::Twine &name,
                                       llvm::StringRef text) {
  llvm::Constant *init = llvm::ConstantDataArray::getString(module.getContext(), text);
  auto *global = new llvm::GlobalVariable(module, init->getType(), /*isConstant=*/true,
                                          llvm::GlobalValue::PrivateLinkage, init, name);
  global->setAlignment(llvm::Align(1));
  return global;
}

llvm::Constant *emitTensorTable(llvm::Module &module, const Graph &graph, llvm::StringRef kind,
                                llvm::ArrayRef<std::pair<std::string, const Value *>> tensors) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Type *ptrTy = llvm::PointerType::getUnqual(context);
  llvm::Type *i32Ty = llvm::Type::getInt32Ty(context);
  auto *tensorTy = llvm::StructType::get(context, {ptrTy, i32Ty, i32Ty, ptrTy});
  std::vector<llvm::Constant *> entries;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto &[name, value] = tensors[i];
    const TensorType &type = value->getType();
    llvm::Constant *dims = llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context));
    if (type.getRank() > 0) {
      // A batched tensor's dim 0 is the run-time batch (-1); the graph computes one sample.
      llvm::SmallVector<int64_t, 4> declared(type.getDims().begin(), type.getDims().end());
      if (graph.isBatched(name)) declared[0] = -1;
      llvm::Constant *init = llvm::ConstantDataArray::get(context, llvm::ArrayRef(declared));
      auto *global =
          new llvm::GlobalVariable(module, init->getType(), true, llvm::GlobalValue::PrivateLinkage,
                                   init, kind + ".dims." + llvm::Twine(i));
      global->setAlignment(llvm::Align(8));
      dims = global;
    }
    entries.push_back(llvm::ConstantStruct::get(
        tensorTy, {emitStringGlobal(module, kind + ".name." + llvm::Twine(i), name),
                   llvm::ConstantInt::get(i32Ty, abiDType(type.getDType())),
                   llvm::ConstantInt::get(i32Ty, type.getRank()), dims}));
  }
  if (entries.empty()) return llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context));
  auto *arrayTy = llvm::ArrayType::get(tensorTy, entries.size());
  auto *table = new llvm::GlobalVariable(module, arrayTy, true, llvm::GlobalValue::PrivateLinkage,
                                         llvm::ConstantArray::get(arrayTy, entries), kind);
  table->setAlignment(llvm::Align(8));
  return table;
}

} // namespace spcc
