//===- ProcessGroup.h - A child process that ends when spcc is interrupted -===//
//
// spcc runs two programs: the C++ compiler driver that links a model (and runs the linker in
// turn), and ptxas for a GPU model. Signalled alone (a script's `kill`, a build system's
// timeout), spcc removed its temporaries and ended while they went on (the linker could then
// leave a half-written output behind). Started here, they run in a process group of their own,
// and an interrupt of spcc (SIGINT, SIGTERM, SIGHUP, SIGQUIT) ends that group before spcc's own
// handler removes its files.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_SUPPORT_PROCESSGROUP_H
#define SPCC_SUPPORT_PROCESSGROUP_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace spcc {

/// Runs \p args (args[0]: the program's path) in a new process group, stdin from /dev/null,
/// stdout and stderr into the files \p stdoutPath and \p stderrPath (empty: /dev/null; the
/// same path: one file, as `2>&1`), and waits for it. Returns its exit code, or as
/// llvm::sys::ExecuteAndWait does, -1 when it could not be started and -2 when a signal ended
/// it, \p message then saying why (for a signal: its description, strsignal's words).
int runInOwnProcessGroup(llvm::ArrayRef<llvm::StringRef> args, llvm::StringRef stdoutPath,
                         llvm::StringRef stderrPath, std::string &message);

} // namespace spcc

#endif
