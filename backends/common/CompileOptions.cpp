//===- CompileOptions.cpp - What `spcc -o` asks of a target --------------===//
#include "backends/common/CompileOptions.h"

#include "llvm/ADT/StringSwitch.h"

namespace spcc {

std::optional<TuneLevel> parseTuneLevel(llvm::StringRef text) {
  return llvm::StringSwitch<std::optional<TuneLevel>>(text)
      .Case("none", TuneLevel::None)
      .Case("fast", TuneLevel::Fast)
      .Case("full", TuneLevel::Full)
      .Default(std::nullopt);
}

} // namespace spcc
