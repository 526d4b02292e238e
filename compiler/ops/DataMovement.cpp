// Placeholder until the family lands: registers nothing.
#include "compiler/ops/OpSchema.h"
namespace spcc {
std::unique_ptr<OpSchema> createTransposeSchema() { return nullptr; }
std::unique_ptr<OpSchema> createConcatSchema() { return nullptr; }
std::unique_ptr<OpSchema> createSplitSchema() { return nullptr; }
std::unique_ptr<OpSchema> createSliceSchema() { return nullptr; }
std::unique_ptr<OpSchema> createGatherSchema() { return nullptr; }
std::unique_ptr<OpSchema> createPadSchema() { return nullptr; }
}
