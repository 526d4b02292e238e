#include "compiler/support/CommandLine.h"

#include "llvm/Support/CommandLine.h"

#include <vector>

namespace spcc {

void reserveOptionNames(llvm::ArrayRef<llvm::StringRef> names) {
  llvm::StringMap<llvm::cl::Option *> &registered = llvm::cl::getRegisteredOptions();
  std::vector<llvm::cl::Option *> taken;
  for (llvm::StringRef name : names)
    if (llvm::cl::Option *option = registered.lookup(name)) taken.push_back(option);
  for (llvm::cl::Option *option : taken) option->removeArgument();
}

} // namespace spcc
