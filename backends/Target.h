//===- Target.h - The interface every code generator implements ----------===//
//
// A target turns a memory-planned graph into a model .so. Each target lives in its own folder
// (backends/<target>/) and registers itself once, the way LLVM targets do: a function
// `spccInitialize<Name>Target(TargetRegistry &)` named in the generated Targets.def. The driver
// knows only the registry: it looks the --target value up and calls compile().
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_TARGET_H
#define SPCC_BACKENDS_TARGET_H

#include "backends/common/CompileOptions.h"
#include "backends/common/CompileReport.h"
#include "compiler/ir/Graph.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace spcc {

/// One value `--target` accepts, with the line `spcc --list-targets` prints for it.
struct TargetName {
  std::string name;
  std::string description;
  /// The target a compilation gets when it names none (one name of all registered).
  bool isDefault = false;
};

class Target {
public:
  virtual ~Target() = default;

  /// The backend's own name ("x86").
  virtual llvm::StringRef name() const = 0;

  /// The --target values this backend compiles for.
  virtual std::vector<TargetName> targetNames() const = 0;

  /// Whether options.target may also be a comma-separated list of targetNames(): one model
  /// that carries code for each and runs the best one the loading machine supports.
  virtual bool combinesTargets() const { return false; }

  /// Compiles \p graph (after the pass pipeline) for options.target, one of targetNames() (or a
  /// list of them, where combinesTargets()), to the shared object options.outputPath, recording
  /// decisions and sizes in \p report.
  virtual llvm::Error compile(const Graph &graph, const CompileOptions &options,
                              CompileReport &report) const = 0;
};

/// Every registered target; filled once by initializeAllTargets, immutable afterwards.
class TargetRegistry {
public:
  /// The registry with every target built into this program registered.
  static const TargetRegistry &get();

  /// Adds \p target; its --target names must be new.
  void add(std::unique_ptr<Target> target);

  /// The target that accepts \p targetName (or each name of a comma-separated list, where that
  /// target combines them), or an InvalidArgument error that lists every name.
  llvm::Expected<const Target &> lookup(llvm::StringRef targetName) const;

  /// The --target name marked isDefault.
  std::string defaultTargetName() const;

  /// Every --target name with its backend, in registration order.
  std::vector<std::pair<TargetName, const Target *>> names() const;

private:
  std::vector<std::unique_ptr<Target>> targets;
};

} // namespace spcc

#endif
