//===- Export.h - The public C API, exported from libspcc_runtime ---------===//
//
// The library is compiled with -fvisibility=hidden; including spcc.h through this header gives
// exactly the C API functions default visibility, so nothing else leaks out of the .so.
//
//===----------------------------------------------------------------------===//
#ifndef SPCC_RUNTIME_LOADER_EXPORT_H
#define SPCC_RUNTIME_LOADER_EXPORT_H

#pragma GCC visibility push(default)
#include "spcc/spcc.h"
#pragma GCC visibility pop

#endif // SPCC_RUNTIME_LOADER_EXPORT_H
