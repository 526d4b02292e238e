//===- ProcessGroup.h - A child process that ends when spcc is interrupted -===//
//
// spcc links a model by running the C++ compiler driver, which runs the linker in turn. Signalled
// alone (a script's `kill`, a build system's timeout), spcc removed its temporaries and ended,
// while the driver and the linker it had started went on and could leave a half-written output
// behind. Started here, they run in a process group of their own, and an interrupt of spcc
// (SIGINT, SIGTERM, SIGHUP) ends that group before spcc's own handler removes its files.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_BACKENDS_X86_PROCESSGROUP_H
#define SPCC_BACKENDS_X86_PROCESSGROUP_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace spcc::x86 {

/// Runs \p args (args[0]: the program's path) in a new process group, stdin and stdout from and
/// to /dev/null, stderr into the file \p stderrPath, and waits for it. Returns its exit code,
/// or as llvm::sys::ExecuteAndWait does, -1 when it could not be started and -2 when a signal
/// ended it, \p message then saying why (for a signal: its description, strsignal's words).
int runInOwnProcessGroup(llvm::ArrayRef<llvm::StringRef> args, llvm::StringRef stderrPath,
                         std::string &message);

} // namespace spcc::x86

#endif
