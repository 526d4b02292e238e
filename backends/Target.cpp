//===- Target.cpp - The registry of targets -------------------------------===//
#include "backends/Target.h"

#include "compiler/support/Error.h"

#include "llvm/ADT/SmallVector.h"

#include <cassert>

namespace spcc {

// Each target's registration function, from the generated list of targets built in.
#define SPCC_TARGET(Name) void spccInitialize##Name##Target(TargetRegistry &registry);
#include "backends/Targets.def"

const TargetRegistry &TargetRegistry::get() {
  static const TargetRegistry registry = [] {
    TargetRegistry filled;
#define SPCC_TARGET(Name) spccInitialize##Name##Target(filled);
#include "backends/Targets.def"
    return filled;
  }();
  return registry;
}

void TargetRegistry::add(std::unique_ptr<Target> target) {
#ifndef NDEBUG
  for (const TargetName &name : target->targetNames())
    for (const auto &[known, owner] : names())
      assert(known.name != name.name && "a --target name registered twice");
#endif
  targets.push_back(std::move(target));
}

llvm::Expected<const Target &> TargetRegistry::lookup(llvm::StringRef targetName) const {
  if (targetName.contains(',')) {
    llvm::SmallVector<llvm::StringRef> parts;
    targetName.split(parts, ',');
    const Target *common = nullptr;
    for (llvm::StringRef part : parts) {
      auto target = lookup(part);
      if (!target) return target.takeError();
      if (common && common != &*target)
        return makeError(ErrorCode::InvalidArgument,
                         "'" + targetName + "' names targets of different backends (" +
                             common->name() + ", " + target->name() + ")");
      common = &*target;
    }
    if (!common->combinesTargets())
      return makeError(ErrorCode::InvalidArgument,
                       "'" + targetName + "': the " + common->name() +
                           " backend compiles for one target at a time");
    return *common;
  }
  std::string known;
  for (const auto &[name, target] : names()) {
    if (name.name == targetName) return *target;
    known += (known.empty() ? "" : ", ") + name.name;
  }
  return makeError(ErrorCode::InvalidArgument,
                   "unknown target '" + targetName + "' (known: " + known + ")");
}

std::string TargetRegistry::defaultTargetName() const {
  for (const auto &[name, target] : names())
    if (name.isDefault) return name.name;
  assert(false && "no target is marked as the default");
  return "";
}

std::vector<std::pair<TargetName, const Target *>> TargetRegistry::names() const {
  std::vector<std::pair<TargetName, const Target *>> all;
  for (const auto &target : targets)
    for (TargetName &name : target->targetNames()) all.emplace_back(std::move(name), target.get());
  return all;
}

} // namespace spcc
