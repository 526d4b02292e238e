// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createAddSchema() { return nullptr; }
std::unique_ptr<OpSchema> createSubSchema() { return nullptr; }
std::unique_ptr<OpSchema> createMulSchema() { return nullptr; }
std::unique_ptr<OpSchema> createDivSchema() { return nullptr; }
std::unique_ptr<OpSchema> createPowSchema() { return nullptr; }
std::unique_ptr<OpSchema> createEqualSchema() { return nullptr; }
std::unique_ptr<OpSchema> createWhereSchema() { return nullptr; }
}
