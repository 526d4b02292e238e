//===- seal_fixture.cpp - Seal a hand-written fixture like a compiled model ===//
//
// seal_fixture MODEL.so: appends the trailer spcc's targets append to the models they link
// (backends/common/ModelTrailer.h), so the runtime tests load fixtures the way users load
// compiled models.
//
//===----------------------------------------------------------------------===//
#include "backends/common/ModelTrailer.h"
#include "compiler/support/Error.h"

int main(int argc, char **argv) {
  if (argc != 2)
    return spcc::reportError("seal_fixture",
                             spcc::makeError(spcc::ErrorCode::InvalidArgument, "usage: MODEL.so"));
  if (llvm::Error err = spcc::appendModelTrailer(argv[1]))
    return spcc::reportError("seal_fixture", std::move(err));
  return 0;
}
