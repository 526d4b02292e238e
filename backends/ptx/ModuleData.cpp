//===- ModuleData.cpp - Kernel arrays carried beside the code, not in it --===//
#include "backends/ptx/ModuleData.h"

#include "backends/ptx/KernelFlavor.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Operator.h"

#include <cassert>

namespace spcc::ptx {
namespace {

/// Marks every load that reads through \p value (directly or through address arithmetic and
/// casts) invariant.
void markLoadsInvariant(llvm::Value *value) {
  for (llvm::User *user : value->users()) {
    if (auto *load = llvm::dyn_cast<llvm::LoadInst>(user)) {
      load->setMetadata(llvm::LLVMContext::MD_invariant_load,
                        llvm::MDNode::get(load->getContext(), {}));
    } else if (llvm::isa<llvm::GEPOperator>(user) || llvm::isa<llvm::BitCastOperator>(user) ||
               llvm::isa<llvm::AddrSpaceCastOperator>(user)) {
      markLoadsInvariant(user);
    }
  }
}

} // namespace

std::vector<DetachedData> detachModuleData(llvm::Module &module, bool invariantLoads) {
  std::vector<DetachedData> detached;
  for (llvm::GlobalVariable &global : module.globals()) {
    if (global.getAddressSpace() != kGlobalAddressSpace || !global.isConstant() ||
        !global.hasInitializer())
      continue;
    auto *data = llvm::dyn_cast<llvm::ConstantDataSequential>(global.getInitializer());
    if (!data || data->getRawDataValues().size() < kDetachMinBytes) continue;
    llvm::StringRef raw = data->getRawDataValues();
    DetachedData array;
    array.bytes.assign(raw.begin(), raw.end());
    array.name = "spcc_data_" + std::to_string(detached.size());
    if (invariantLoads) markLoadsInvariant(&global);
    global.setInitializer(llvm::ConstantAggregateZero::get(global.getValueType()));
    global.setConstant(false);
    global.setLinkage(llvm::GlobalValue::ExternalLinkage);
    global.setName(array.name);
    assert(global.getName() == array.name && "spcc_data_ names are the detacher's alone");
    array.global = &global;
    detached.push_back(std::move(array));
  }
  return detached;
}

} // namespace spcc::ptx
