#include "compiler/ops/OpSchema.h"

#include "llvm/ADT/StringMap.h"

namespace spcc {

#define SPCC_OP(Name, Lowering) std::unique_ptr<OpSchema> create##Name##Schema();
#include "compiler/ops/Ops.def"

namespace {
/// The table built from Ops.def; immutable after construction.
class OpRegistry {
public:
  OpRegistry() {
#define SPCC_OP(Name, Lowering) add(create##Name##Schema());
#include "compiler/ops/Ops.def"
  }
  const OpSchema *lookup(llvm::StringRef opType) const {
    auto it = schemas.find(opType);
    return it == schemas.end() ? nullptr : it->second.get();
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto &entry : schemas) out.push_back(entry.getKey().str());
    std::sort(out.begin(), out.end());
    return out;
  }

private:
  void add(std::unique_ptr<OpSchema> schema) {
    llvm::StringRef key = schema->getName();
    assert(!schemas.count(key) && "operator registered twice");
    schemas[key] = std::move(schema);
  }
  llvm::StringMap<std::unique_ptr<OpSchema>> schemas;
};

const OpRegistry &registry() {
  static const OpRegistry instance;
  return instance;
}
} // namespace

const OpSchema *lookupOpSchema(llvm::StringRef opType) { return registry().lookup(opType); }

std::vector<std::string> supportedOpNames() { return registry().names(); }

llvm::Error nodeError(const Node &node, ErrorCode code, const llvm::Twine &message) {
  return makeError(code, node.describe() + ": " + message);
}

} // namespace spcc
