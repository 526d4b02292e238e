//===- LastError.h - Per-thread message of the last failing C API call ----===//
//
// Every C API entry point reports failure by returning a status and recording a one-line
// message here; spcc_last_error() returns it. The message is thread_local, so threads never see
// each other's errors.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_LOADER_LASTERROR_H
#define SPCC_RUNTIME_LOADER_LASTERROR_H

#include "Export.h"

#include <string>

namespace spcc::runtime {

/// Records `message` as the calling thread's last error and returns `status`, so a failing
/// call reads `return fail(SPCC_ERR_IO, "...")`. Never throws: if the message cannot be stored
/// (out of memory), a fixed message is kept instead.
spcc_status fail(spcc_status status, const std::string &message) noexcept;

/// Records `staticMessage` (text that lives for the whole program, e.g. a string literal) and
/// returns `status`. Allocates nothing, so it is safe in a catch handler after std::bad_alloc.
spcc_status failStatic(spcc_status status, const char *staticMessage) noexcept;

} // namespace spcc::runtime

#endif // SPCC_RUNTIME_LOADER_LASTERROR_H
